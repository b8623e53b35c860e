// Cluster labels between real GossipNodes on loopback: the same label (with and without
// encryption) joins; different labels, or a labeled and an unlabeled node, never see each
// other, and the receiving side counts every dropped packet and stream as a label mismatch.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { defaultLocalConfig } from '../../src/gossip/core/index.ts';
import { GossipNode, type GossipNodeOptions } from '../../src/gossip/net/index.ts';
import { Keyring } from '../../src/gossip/wire/index.ts';

const started = new Set<GossipNode>();

after(async () => {
  await Promise.all([...started].map((n) => n.close()));
});

async function start(
  name: string,
  o: Partial<Pick<GossipNodeOptions, 'label' | 'keyring' | 'skipInboundLabelCheck'>> = {},
): Promise<GossipNode> {
  const n = await GossipNode.start({
    name,
    host: '127.0.0.1',
    port: 0,
    config: defaultLocalConfig,
    ...o,
  });
  started.add(n);
  return n;
}

async function stop(...nodes: GossipNode[]): Promise<void> {
  for (const n of nodes) {
    started.delete(n);
    await n.close();
  }
}

async function until(what: string, ms: number, f: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const alive = (n: GossipNode): string[] =>
  n
    .members()
    .filter((m) => m.state === 'alive')
    .map((m) => m.name)
    .sort();

describe('gossip labels between nodes', () => {
  test('the same label joins, in the clear and encrypted', async () => {
    const a = await start('a', { label: 'blue' });
    const b = await start('b', { label: 'blue' });
    b.join([a.address]);
    await until(
      'a and b see each other',
      10_000,
      () => alive(a).length === 2 && alive(b).length === 2,
    );
    assert.deepEqual(alive(a), ['a', 'b']);
    assert.equal(a.stats.labelMismatch + b.stats.labelMismatch, 0);
    // Probes go both ways over UDP with the label on every packet.
    const inA = a.stats.packetsIn;
    await until('packets flow', 10_000, () => a.stats.packetsIn > inA + 2);
    assert.equal(a.stats.badPackets + b.stats.badPackets, 0);
    await stop(a, b);

    const key = new Uint8Array(32).fill(9);
    const c = await start('c', { label: 'blue', keyring: new Keyring(key) });
    const d = await start('d', { label: 'blue', keyring: new Keyring(key) });
    d.join([c.address]);
    await until(
      'c and d see each other',
      10_000,
      () => alive(c).length === 2 && alive(d).length === 2,
    );
    assert.equal(c.stats.badPackets + d.stats.badPackets + c.stats.badStreams, 0);
    await stop(c, d);
  });

  test('different labels never see each other; the mismatch is counted', async () => {
    const red = await start('red', { label: 'red' });
    const blue = await start('blue', { label: 'blue' });
    blue.join([red.address]);
    red.join([blue.address]);
    await until('both join streams refused', 10_000, () => {
      return red.stats.labelMismatch >= 1 && blue.stats.labelMismatch >= 1;
    });
    // Packets too: each transport sends a labeled datagram straight to the other.
    const before = red.stats.labelMismatch;
    blue.transport.send(red.address, [{ type: 'user', body: Uint8Array.of(1) }]);
    await until('packet dropped for its label', 5000, () => red.stats.labelMismatch > before);
    assert.ok(red.stats.badPackets >= 1);
    assert.ok(red.stats.badStreams >= 1 && blue.stats.badStreams >= 1);
    assert.deepEqual(alive(red), ['red']);
    assert.deepEqual(alive(blue), ['blue']);
    assert.equal(red.members().length, 1);
    assert.equal(blue.members().length, 1);
    await stop(red, blue);
  });

  test('a labeled and an unlabeled node do not join, whoever joins whom', async () => {
    const labeled = await start('labeled', { label: 'blue' });
    const plain = await start('plain');
    plain.join([labeled.address]);
    await until('unlabeled join refused', 10_000, () => labeled.stats.labelMismatch >= 1);
    labeled.join([plain.address]);
    await until('labeled join refused', 10_000, () => plain.stats.labelMismatch >= 1);
    assert.equal(labeled.members().length, 1);
    assert.equal(plain.members().length, 1);

    // skipInboundLabelCheck: the labeled node takes the unlabeled join as its own label, but
    // what it sends stays labeled, so the unlabeled node keeps dropping its packets.
    const lenient = await start('lenient', { label: 'blue', skipInboundLabelCheck: true });
    const dropped = plain.stats.labelMismatch;
    plain.join([lenient.address]);
    await until('lenient node learns plain', 10_000, () => alive(lenient).includes('plain'));
    await until('plain drops lenient packets', 10_000, () => plain.stats.labelMismatch > dropped);
    assert.equal(lenient.stats.labelMismatch, 0);
    await stop(labeled, plain, lenient);
  });
});
