// FIFO of encoded frames bounded in bytes. When full, the oldest frames go first: Raft tolerates
// loss, and after an outage the newest messages (current term, latest commit) are the useful ones.

export class FrameQueue {
  readonly #maxBytes: number;
  #items: Buffer[] = [];
  #head = 0;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds a frame; returns how many frames were dropped to make room (or the frame itself). */
  push(frame: Buffer): number {
    if (frame.length > this.#maxBytes) return 1;
    let dropped = 0;
    while (this.#bytes + frame.length > this.#maxBytes && this.shift() !== undefined) dropped++;
    this.#items.push(frame);
    this.#bytes += frame.length;
    return dropped;
  }

  shift(): Buffer | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const frame = this.#items[this.#head];
    if (frame === undefined) return undefined;
    this.#head++;
    this.#bytes -= frame.length;
    // Compact now and then instead of Array#shift on every frame.
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return frame;
  }

  /** Empties the queue; returns how many frames it held. */
  clear(): number {
    const n = this.length;
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return n;
  }
}
