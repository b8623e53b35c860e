// Small integer ids for member names, shared by the cores of one process, so that each core
// indexes its members and queued broadcasts by array slot instead of keeping a hash map per
// core (a simulator with N cores would otherwise hold N maps of N names). Every holder
// retains the id while it uses it and releases it after; an id nobody holds is forgotten and
// its number reused, so the table is bounded by the names in use at one time.

export class NameIds {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly refs: number[] = [];
  private readonly free: number[] = [];

  /** The id of `name`, or undefined when nobody holds it. */
  find(name: string): number | undefined {
    return this.ids.get(name);
  }

  /** The id of `name`, counting one more holder. */
  retain(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.free.pop() ?? this.refs.length;
      this.ids.set(name, id);
      this.names[id] = name;
      this.refs[id] = 0;
    }
    this.refs[id] = (this.refs[id] ?? 0) + 1;
    return id;
  }

  /** One holder of id `id` is done with it. */
  release(id: number): void {
    const left = (this.refs[id] ?? 0) - 1;
    this.refs[id] = left;
    if (left > 0) return;
    this.ids.delete(this.names[id] ?? '');
    this.names[id] = '';
    this.free.push(id);
  }

  /** Names with an id (for tests and leak checks). */
  get size(): number {
    return this.ids.size;
  }
}
