// A fixed-size bit set with a compact exact encoding, for memo keys.

const FULL = 0xffffffff;

export class Bitset {
  private readonly words: Uint32Array;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  set(bit: number): void {
    const i = bit >> 5;
    this.words[i] = ((this.words[i] ?? 0) | (1 << (bit & 31))) >>> 0;
  }

  clear(bit: number): void {
    const i = bit >> 5;
    this.words[i] = ((this.words[i] ?? 0) & ~(1 << (bit & 31))) >>> 0;
  }

  /**
   * Appends an exact encoding as 16-bit codes. Sets the search builds are mostly a run of full
   * words, a few mixed words, then zeros; only where the middle starts, its length and its
   * words are written, so keys stay short however long the history is.
   */
  encodeInto(codes: number[]): void {
    const words = this.words;
    let start = 0;
    while (start < words.length && words[start] === FULL) start++;
    let end = words.length;
    while (end > start && words[end - 1] === 0) end--;
    codes.push(start & 0xffff, start >>> 16, (end - start) & 0xffff, (end - start) >>> 16);
    for (let i = start; i < end; i++) {
      const w = words[i] ?? 0;
      codes.push(w & 0xffff, w >>> 16);
    }
  }
}
