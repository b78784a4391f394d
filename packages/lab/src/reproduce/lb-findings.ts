// Maglev's two promises (Eisenbud et al., NSDI 2016), checked on the lb's own selectors: a table
// of prime size M = 65537 splits the hash space evenly among N backends, and removing one
// backend moves about 1/N of it, where hash mod N moves about (N-1)/N.

import {
  DEFAULT_TABLE_SIZE,
  HashModN,
  MaglevTable,
  diffMappings,
  slotCounts,
  type Member,
  type Selector,
} from '@vnflab/lb';
import type { Finding } from './finding';
import { fmt } from './timing';

const members = (n: number): Member[] =>
  Array.from({ length: n }, (_, i) => ({ id: i, name: `backend-${i + 1}`, weight: 1 }));
const BALANCE_NS = [3, 10, 100] as const;
const DISRUPTION_N = 10;

/** Largest deviation of a backend's share from the even share, as a fraction. */
function imbalance(mapping: Int32Array, n: number): number {
  const avg = mapping.length / n;
  let worst = 0;
  for (const c of slotCounts(mapping).values()) worst = Math.max(worst, Math.abs(c / avg - 1));
  return worst;
}

export const maglevBalance: Finding = {
  name: 'maglev-balance',
  source:
    'Maglev (Eisenbud et al., NSDI 2016), §3.4 and §5.3: a prime table size M > 100 N keeps every backend within 1 % of its even share',
  setup: `Paper: M = 65537, backends take turns claiming their next preferred slot. Figure: the largest deviation of a backend's table share from 1/N, in percent.`,
  published: 1,
  unit: '% max imbalance',
  band: [0, 1],
  bandWhy: "the paper's bound is 1 %, shown as the figure.",
  async measure() {
    const worst: string[] = [];
    let max = 0;
    for (const n of BALANCE_NS) {
      const t = new MaglevTable(DEFAULT_TABLE_SIZE);
      t.rebuild(members(n));
      const x = imbalance(t.mapping(), n) * 100;
      worst.push(`N = ${n}: ${fmt(x)} %`);
      max = Math.max(max, x);
    }
    return {
      measured: max,
      lab: `the lb's MaglevTable (services/lb/src/maglev.ts), M = ${DEFAULT_TABLE_SIZE}, N = ${BALANCE_NS.join(', ')} equal backends; the worst N is reported.`,
      inBand: `${worst.join(', ')}: turns alternate, so each backend owns M/N slots give or take one.`,
      miss: `${worst.join(', ')}: a backend's preference list ran into claimed slots more often than the turns can even out.`,
    };
  },
};

function removeOne(sel: Selector, n: number): { moved: number; survivorsMoved: number } {
  const all = members(n);
  sel.rebuild(all);
  const before = Int32Array.from(sel.mapping()!);
  const gone = all[Math.floor(n / 2)];
  const rest = all.filter((m) => m !== gone);
  sel.rebuild(rest);
  const d = diffMappings(before, Int32Array.from(sel.mapping()!), new Set(rest.map((m) => m.id)));
  return { moved: d.moved / d.compared, survivorsMoved: d.survivorsMoved / d.compared };
}

export const maglevDisruption: Finding = {
  name: 'maglev-disruption',
  source:
    'Maglev (Eisenbud et al., NSDI 2016), §3.4 and §5.3: removing a backend moves little more than its own share; hash mod N moves (N-1)/N',
  setup: `Paper: M = 65537, one of N backends removed. Figure: the fraction of table slots that changed backend, as a multiple of the minimum 1/N.`,
  published: 1,
  unit: 'x 1/N moved',
  band: [0.95, 1.5],
  bandWhy:
    'nothing can move less than the removed backend\'s 1/N (0.95 allows its share being one slot short); Maglev trades a little disruption for balance, so up to half again is still "about 1/N".',
  async measure() {
    const n = DISRUPTION_N;
    const mg = removeOne(new MaglevTable(DEFAULT_TABLE_SIZE), n);
    const hm = removeOne(new HashModN(DEFAULT_TABLE_SIZE), n);
    const nums = `Maglev moved ${fmt(mg.moved * 100)} % of the slots (ideal 1/N = ${fmt(100 / n)} %; ${fmt(mg.survivorsMoved * 100)} % between surviving backends); hash mod N moved ${fmt(hm.moved * 100)} % (expected (N-1)/N = ${fmt((100 * (n - 1)) / n)} %)`;
    return {
      measured: mg.moved * n,
      lab: `the lb's MaglevTable and HashModN selectors (services/lb/src), M = ${DEFAULT_TABLE_SIZE}, N = ${n}, backend-${Math.floor(n / 2) + 1} removed; slots compared with diffMappings (services/lb/src/disruption.ts).`,
      inBand: `${nums}.`,
      miss: `${nums}: surviving backends' preference lists collided with the freed slots more than the paper's tables do.`,
    };
  },
};
