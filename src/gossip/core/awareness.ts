// Lifeguard's local health awareness: a score in [0, max) that rises when this node seems to be
// the problem (missed nacks, being asked to refute) and falls with every successful probe.
// Probe intervals are stretched by (score + 1) so a struggling node slows its own judgements.

export class Awareness {
  private score = 0;
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  applyDelta(delta: number): void {
    this.score = Math.min(this.max - 1, Math.max(0, this.score + delta));
  }

  healthScore(): number {
    return this.score;
  }

  scaleMs(timeoutMs: number): number {
    return timeoutMs * (this.score + 1);
  }
}
