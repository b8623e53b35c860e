// Small summaries of measured samples.

export interface Summary {
  readonly n: number;
  readonly median: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

export function summarize(xs: readonly number[]): Summary {
  if (xs.length === 0) return { n: 0, median: null, max: null, mean: null };
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, median, max: s[s.length - 1] ?? null, mean };
}
