// A table rebuild never stalls the data path: a change is built in slices between batches, the
// table in place serving packets until the new one is swapped in, and the control route answers
// once the new table serves (services/lb/src/control-operations.ts).

import Fastify from 'fastify';
import { LoadBalancer, MaglevTable, lbStage, populate, type ChangeReport, type Selector } from '@vnflab/lb';
import { mountControlRoutes } from '@vnflab/runtime';
import { batchOf, flow, makeCtx } from './helpers';

const TOKEN = 'rebuild-token';
const M = 1000003;

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Processes one batch of 256 new flows and checks every packet went where `sel` sends its hash
 * (no connection tracking: each packet is picked by the table). Returns the packets checked.
 */
function processAndCheck(lb: LoadBalancer, sel: Selector, k: number): number {
  const ctx = makeCtx();
  const b = batchOf(Array.from({ length: 256 }, (_, i) => flow(k * 256 + i)));
  const before = Array.from(lb.pool.packets);
  lb.process(b, ctx);
  const want = new Map<number, number>();
  let n = 0;
  for (let i = 0; i < b.count; i++) {
    if (!b.alive(i)) continue;
    const id = sel.peek(b.flowHash(i))!;
    want.set(id, (want.get(id) ?? 0) + 1);
    n++;
  }
  for (const [id, c] of want) expect(lb.pool.packets[id] - before[id]).toBe(c);
  return n;
}

describe('lb table rebuilds in slices', () => {
  test('PUT /lb/table to 1000003: batches keep flowing on the old table between slices; then the new one serves', async () => {
    const lb = new LoadBalancer('maglev', { conntrack_size: 0 });
    const app = Fastify({ logger: false });
    await mountControlRoutes(app, lbStage.controlRoutes!(lb), TOKEN);
    await app.ready();
    const v = lb.pool.vips[0];
    const old = v.selector;
    expect(old.mapping()!.length).toBe(65537);

    let answered = false;
    const put = app
      .inject({
        method: 'PUT',
        url: '/lb/table',
        headers: { authorization: `Bearer ${TOKEN}` },
        payload: { table_size: M },
      })
      .finally(() => (answered = true));

    // the stage's loop: one batch per event-loop turn, as the runner takes them off the bus
    const slicesAtBatch: number[] = [];
    let k = 0;
    let checked = 0;
    let afterSwap = 0;
    while (!answered) {
      if (lb.rebuild.pending > 0) {
        // until the swap the VIP's selector is the old table and every packet follows it; after
        // it, the change report's counting slices run with the new table serving
        const serving = v.selector;
        if (serving === old) {
          checked += processAndCheck(lb, old, k++);
          slicesAtBatch.push(lb.rebuild.slices);
        } else {
          expect(afterSwap > 0 || (serving as MaglevTable).size === M).toBe(true);
          processAndCheck(lb, serving, k++);
          afterSwap++;
        }
      }
      await turn();
    }
    const r = await put;
    expect(r.statusCode).toBe(200);

    // many batches were processed while the table was built, each after at most two slices
    // (one per turn): the build interleaved with the data path instead of holding it
    expect(slicesAtBatch.length).toBeGreaterThan(20);
    expect(checked).toBe(256 * slicesAtBatch.length);
    const steps = slicesAtBatch.slice(1).map((s, i) => s - slicesAtBatch[i]);
    expect(Math.min(...steps)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...steps)).toBeLessThanOrEqual(2);

    // after the answer the new table is in place, complete, and the one that serves
    const sel = v.selector as MaglevTable;
    expect(sel).not.toBe(old);
    expect(sel.size).toBe(M);
    expect(sel.lastBuildSlices).toBeGreaterThan(20);
    const atOnce = new Int32Array(M);
    populate(atOnce, M, lb.pool.eligible(v));
    expect(Buffer.compare(Buffer.from(sel.mapping().buffer), Buffer.from(atOnce.buffer))).toBe(0);
    expect(lb.tableSize).toBe(M);
    expect(processAndCheck(lb, sel, k++)).toBe(256);

    // and the change report describes the change
    const [rep] = (r.json() as { reports: ChangeReport[] }).reports;
    expect(rep.operation).toBe('table_size');
    expect(rep.table!.size).toBe(M);
    expect(rep.table!.sampled).toBe(true); // sizes differ: sample hashes compared
    expect(rep.table!.ideal_fraction).toBe(0); // same three backends, same shares
    // a new size reshuffles the hash space: with three equal backends about 2/3 of flows move
    expect(rep.table!.fraction_moved).toBeGreaterThan(0.55);
    expect(rep.table!.fraction_moved).toBeLessThan(0.78);
    expect(rep.table!.build_ms).toBeGreaterThan(0);
    expect(rep.eligible_before).toBe(3);
    expect(rep.eligible_after).toBe(3);
    await app.close();
  });

  test('scheduled changes run in order; a direct call finishes them first; an error rejects only its change', async () => {
    const lb = new LoadBalancer('maglev', { table_size: M });
    const v = lb.pool.vips[0];
    const web1 = lb.pool.find(v, 'web-1');
    const removal = lb.scheduled.removeBackend('web', 'web-1');
    const bad = lb.scheduled.markDown('web', 'nope');
    const weight = lb.scheduled.setWeight('web', 'web-2', 50);
    // the first slice ran, the table is not complete: the old mapping still serves web-1
    expect(lb.rebuild.pending).toBe(3);
    expect(v.selector.mapping()!.includes(web1)).toBe(true);
    await turn();
    expect(v.selector.mapping()!.includes(web1)).toBe(true);

    // a direct call runs what was scheduled before it, in order, then itself
    const up = lb.markUp('web', 'web-3');
    expect(lb.rebuild.pending).toBe(0);
    expect(up.operation).toBe('up');
    const rem = await removal;
    expect(rem.operation).toBe('remove');
    expect(rem.eligible_after).toBe(2);
    expect(rem.table!.fraction_moved).toBeGreaterThan(0.3);
    expect(rem.table!.survivors_fraction_moved).toBeLessThan(0.02); // Maglev: survivors keep their slots
    await expect(bad).rejects.toMatchObject({ status: 404 });
    const w = await weight;
    expect(w.operation).toBe('set_weight');
    expect(w.eligible_before).toBe(2); // it ran after the removal
    expect(v.selector.mapping()!.includes(web1)).toBe(false);
    expect(lb.listBackends()[0].backends.map((b) => b.name)).toEqual(['web-2', 'web-3']);
  });
});
