// The web workload benchmark: mTCP Figure 1 set up as the paper set it up (short HTTP
// connections, one 64 B file each, chains/web.yaml), once per kernel-path preset, in alternating
// rounds so the machine's drift spreads over both; medians of the rounds. The server's CPU per
// transaction (nic, kernel-path, web-server; lab transport and the client left out) beside
// mTCP's Linux 3.10 figure.

const { join } = require('node:path');
const { runHttpRow, PUBLISHED, MTCP_GROUPS } = require('@vnflab/lab');
const { createRegistry } = require('@vnflab/cli');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

module.exports = async function web({ quick, log }) {
  const registry = createRegistry();
  const o = { registry, config: join(__dirname, '..', 'chains', 'web.yaml') };
  const presets = ['linux', 'user-tcp'];
  const rounds = quick ? 1 : 3;
  const durationS = quick ? 0.5 : 2;
  const runs = Object.fromEntries(presets.map((p) => [p, []]));
  for (const p of presets) await runHttpRow(o, p, 0.3); // warm-up, unreported (JIT)
  for (let r = 0; r < rounds; r++) {
    for (const p of presets) {
      const row = await runHttpRow(o, p, durationS);
      log(
        `web: round ${r + 1}/${rounds} ${p}: ${row.transactions} transactions, ${row.cpu_us_per_transaction.toFixed(1)} µs each`,
      );
      runs[p].push(row);
    }
  }
  const m = PUBLISHED.mtcp;
  const rows = [];
  const data = {};
  for (const p of presets) {
    const rs = runs[p];
    const us = median(rs.map((x) => x.cpu_us_per_transaction));
    const share = Object.fromEntries(MTCP_GROUPS.map((g) => [g, median(rs.map((x) => x.cpu_share[g]))]));
    const ev = (k) => median(rs.map((x) => x.events_per_transaction[k] ?? 0));
    data[p] = {
      cpu_us_per_transaction: us,
      transactions_per_s_per_core: 1e6 / us,
      transactions_per_s: median(rs.map((x) => x.transactions_per_s)),
      cpu_share: share,
      syscalls_per_transaction: ev('syscall'),
      context_switches_per_transaction: ev('context_switch'),
      accounting_closed: rs.every((x) => x.accounting_closed),
      rounds: rs.length,
    };
    rows.push([
      `${p}: server CPU per transaction, transactions/s per core`,
      `${us.toFixed(1)} µs, ${(1e6 / us).toFixed(0)}/s (embedded, client and server on one thread: ${data[p].transactions_per_s.toFixed(0)}/s)`,
      p === 'linux'
        ? `mTCP: about ${m.usPerTransaction.toFixed(0)} µs, ${(1e6 / m.usPerTransaction).toFixed(0)}/s per core (0.3 M/s on 8 cores)`
        : 'mTCP (user-level stack): 25x Linux on short messages',
    ]);
    rows.push([
      `${p}: shares pkt I/O / kernel / TCP/IP / app`,
      MTCP_GROUPS.map((g) => `${(share[g] * 100).toFixed(1)}`).join(' / ') +
        ` %; ${data[p].syscalls_per_transaction.toFixed(2)} syscalls, ${data[p].context_switches_per_transaction.toFixed(2)} context switches per transaction`,
      p === 'linux'
        ? MTCP_GROUPS.map((g) => `${(m.shares[g] * 100).toFixed(1)}`).join(' / ') + ' % (mTCP Figure 1)'
        : '-',
    ]);
  }
  return { rows, data };
};
