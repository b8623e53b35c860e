// Summarizes a V8 .cpuprofile (node --cpu-prof): self and inclusive time by function, and self
// time by package / source directory. `npm run bench -- --profile` writes one per Sappers node;
// this also runs alone:  npx tsx bench/profile.ts FILE.cpuprofile [--top N]
//                        npx tsx bench/profile.ts FILE.cpuprofile --callers NAME [--depth 4]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function shortUrl(url: string): string {
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(repoRoot)) u = u.slice(repoRoot.length);
  return u.replace(/^.*node_modules\//, 'node_modules/');
}

/** The package (node_modules/x), source directory (src/x) or V8/node bucket of a frame. */
function groupOf(cf: CallFrame): string {
  const u = shortUrl(cf.url);
  if (u === '') return cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  if (u.startsWith('node:')) return 'node: (core)';
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (pkg !== null) return `node_modules/${pkg[1] ?? '?'}`;
  const src = /^(src\/[^/]+)/.exec(u);
  return src !== null ? (src[1] ?? u) : u;
}

function keyOf(cf: CallFrame): string {
  const u = shortUrl(cf.url);
  return `${cf.functionName === '' ? '(anonymous)' : cf.functionName}${u === '' ? '' : ` ${u}:${cf.lineNumber + 1}`}`;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly self: readonly (readonly [string, number])[];
  readonly inclusive: readonly (readonly [string, number])[];
  readonly groups: readonly (readonly [string, number])[];
}

export function summarizeProfile(path: string, top: number): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] ?? 0;
    const dt = p.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  const self = new Map<string, number>();
  const groups = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  // Depth-first from the root, keeping the set of function keys on the stack so recursion is
  // counted once in inclusive time.
  const root = p.nodes[0];
  const totals = new Map<number, number>();
  const total = (id: number): number => {
    const cached = totals.get(id);
    if (cached !== undefined) return cached;
    const n = byId.get(id);
    let t = selfUs.get(id) ?? 0;
    for (const c of n?.children ?? []) t += total(c);
    totals.set(id, t);
    return t;
  };
  const walk = (id: number, onStack: Set<string>): void => {
    const n = byId.get(id);
    if (n === undefined) return;
    const key = keyOf(n.callFrame);
    const s = selfUs.get(id) ?? 0;
    if (n.callFrame.functionName === '(idle)') idle += s;
    self.set(key, (self.get(key) ?? 0) + s);
    const g = groupOf(n.callFrame);
    groups.set(g, (groups.get(g) ?? 0) + s);
    const fresh = !onStack.has(key);
    if (fresh) {
      inclusive.set(key, (inclusive.get(key) ?? 0) + total(id));
      onStack.add(key);
    }
    for (const c of n.children ?? []) walk(c, onStack);
    if (fresh) onStack.delete(key);
  };
  if (root !== undefined) walk(root.id, new Set());
  const sorted = (m: Map<string, number>): [string, number][] =>
    [...m.entries()]
      .filter(([k]) => k !== '(root)' && k !== '(idle)' && k !== '(program)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => [k, v / 1000]);
  const totalUs = p.endTime - p.startTime;
  return {
    totalMs: totalUs / 1000,
    idleMs: idle / 1000,
    self: sorted(self),
    inclusive: sorted(inclusive),
    groups: [...groups.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / 1000]),
  };
}

/**
 * Who calls `name` (a function name, as printed): total time of `name` (inclusive, counted once
 * per stack) under each distinct chain of `depth` callers, largest first.
 */
export function callersOf(path: string, name: string, depth: number, top: number): string[] {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  }
  const chains = new Map<string, number>();
  for (const [id, us] of selfUs) {
    // The outermost frame named `name` on this sample's stack, and its callers.
    let at: number | undefined = id;
    let hit: number | undefined;
    while (at !== undefined) {
      if (byId.get(at)?.callFrame.functionName === name) hit = at;
      at = parent.get(at);
    }
    if (hit === undefined) continue;
    const names: string[] = [];
    let up = parent.get(hit);
    while (up !== undefined && names.length < depth) {
      const n = byId.get(up);
      if (n !== undefined && n.callFrame.functionName !== '(root)') names.push(keyOf(n.callFrame));
      up = parent.get(up);
    }
    const k = names.join(' < ');
    chains.set(k, (chains.get(k) ?? 0) + us);
  }
  return [...chains.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${(v / 1000).toFixed(0).padStart(7)} ms  ${name} < ${k}`);
}

export function formatProfile(path: string, top = 25): string {
  const s = summarizeProfile(path, top);
  const busy = s.totalMs - s.idleMs;
  const pct = (v: number): string => `${((100 * v) / s.totalMs).toFixed(1).padStart(5)}%`;
  const lines = [
    `${path}`,
    `  wall ${s.totalMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms, busy ${busy.toFixed(0)} ms (${((100 * busy) / s.totalMs).toFixed(0)}%)`,
    '  self time by package / directory:',
    ...s.groups.slice(0, 15).map(([k, v]) => `    ${pct(v)} ${v.toFixed(0).padStart(7)} ms  ${k}`),
    `  top ${top} functions by self time:`,
    ...s.self.map(([k, v]) => `    ${pct(v)} ${v.toFixed(0).padStart(7)} ms  ${k}`),
    `  top ${top} functions by inclusive time:`,
    ...s.inclusive.map(([k, v]) => `    ${pct(v)} ${v.toFixed(0).padStart(7)} ms  ${k}`),
  ];
  return lines.join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  const topAt = process.argv.indexOf('--top');
  const top = topAt > 0 ? Number(process.argv[topAt + 1] ?? '25') : 25;
  if (file === undefined) {
    console.error(
      'usage: tsx bench/profile.ts FILE.cpuprofile [--top N] [--callers NAME [--depth N]]',
    );
    process.exit(2);
  }
  const callersAt = process.argv.indexOf('--callers');
  const callers = callersAt > 0 ? process.argv[callersAt + 1] : undefined;
  if (callers !== undefined) {
    const depthAt = process.argv.indexOf('--depth');
    const depth = depthAt > 0 ? Number(process.argv[depthAt + 1] ?? '4') : 4;
    console.log(callersOf(file, callers, depth, top).join('\n'));
  } else {
    console.log(formatProfile(file, top));
  }
}
