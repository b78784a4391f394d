// `vnflab traffic` against an embedded run's metrics server: reads the generator, changes its
// rate, stops and starts it, and ends the run; the summary then tells offered, sent and not
// sent, and /metrics carries vnflab_generator_packets_total{kind}. `vnflab run --flush-ms` sets
// the generator's timed drain from the start.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadChainFile, validateChain } from '@vnflab/core';
import { createRegistry, runChain, trafficCommand } from '@vnflab/cli';
import { formatSummary } from '../packages/cli/src/summary-table';
import { vnflab } from './helpers/cli';
import { freePort, waitFor } from './helpers/ports';

const registry = createRegistry();
const TOKEN = 'traffic-cli-test-token';

function chain(traffic: Record<string, unknown>) {
  const base = loadChainFile(join(__dirname, '..', 'chains', 'default.yaml'), registry);
  return validateChain(
    {
      name: 'steer',
      profile: 'zero',
      batch_size: 64,
      stages: base.stages.map((s, i) => ({
        stage: s.stage,
        name: s.name,
        variant: s.variant,
        settings: i === 0 ? { ...s.settings, ...traffic } : s.settings,
      })),
    },
    registry,
  );
}

async function traffic(args: string[]): Promise<string> {
  let text = '';
  await trafficCommand(args, (s) => (text += s));
  return text;
}

describe('vnflab traffic', () => {
  const saved = process.env.VNFLAB_CONTROL_TOKEN;
  beforeAll(() => {
    process.env.VNFLAB_CONTROL_TOKEN = TOKEN;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.VNFLAB_CONTROL_TOKEN;
    else process.env.VNFLAB_CONTROL_TOKEN = saved;
  });

  test('steers an embedded run: rate, flush interval, stop, start, end; the summary and /metrics tell offered and not sent', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = runChain(chain({ rate: 2000, flows: 8 }), registry, { metricsPort: port });
    const read = async () => JSON.parse(await traffic(['--url', url, '--json'])) as Record<string, number | boolean>;
    await waitFor('the generator to send', async () => ((await read()).sent as number) > 100 || undefined, 20_000, 50);

    expect(await traffic(['--url', url, '--rate', '4000'])).toMatch(
      /^traffic-gen udp: running, rate 4000 pps \(batches flushed after 2 ms\), size 64 B, 8 flows; offered \d+, sent \d+, not sent \d+\n$/,
    );
    expect(await traffic(['--url', url, '--flush-ms', '5'])).toMatch(/rate 4000 pps \(batches flushed after 5 ms\)/);
    const stopped = await traffic(['--url', url, '--stop']);
    expect(stopped).toMatch(/: stopped, rate 4000 pps/);
    const a = (await read()).sent as number;
    await new Promise((r) => setTimeout(r, 200));
    expect((await read()).sent).toBe(a); // nothing sent while stopped; the run goes on
    expect(await traffic(['--url', url, '--start'])).toMatch(/: running/);
    await waitFor('sending again', async () => ((await read()).sent as number) > a || undefined, 10_000, 50);
    const resp = await fetch(`${url}/metrics`);
    const text = await resp.text();
    expect(text).toMatch(/vnflab_generator_packets_total\{[^}]*kind="offered"[^}]*\} \d+/);
    expect(text).toMatch(/vnflab_generator_packets_total\{[^}]*kind="not_sent"[^}]*\} \d+/);
    expect(text).toMatch(/vnflab_generator_packets_total\{[^}]*kind="not_sent_late"[^}]*\} \d+/);
    expect(await traffic(['--url', url, '--end'])).toMatch(/: ended/);

    const { summary } = await run;
    expect(summary.accounting_closed).toBe(true);
    expect(summary.offered).toBe(summary.sent + summary.not_sent!);
    expect(summary.sent).toBeGreaterThan(a);
    expect(formatSummary(summary)).toMatch(
      new RegExp(`^offered ${summary.offered}, sent ${summary.sent}, not sent ${summary.not_sent}`, 'm'),
    );
    // the line says who held the generator back: the chain, or its own lateness
    const why = (notSent: number, late: number) =>
      formatSummary({ ...summary, offered: summary.sent + notSent, not_sent: notSent, not_sent_late: late });
    expect(why(100, 0)).toMatch(/not sent 100 \(the chain held the generator back\)/);
    expect(why(100, 100)).toMatch(
      /not sent 100 \(the generator's own lateness: its timers or its CPU, not the chain\)/,
    );
    expect(why(100, 60)).toMatch(/not sent 100 \(40 held back by the chain, 60 lost to the generator's own lateness/);
  });

  test('vnflab run --flush-ms sets the timed drain: each packet waits in its batch, and the latency shows it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnflab-flush-'));
    const r = vnflab([
      'run',
      '--rate',
      '2000',
      '--flush-ms',
      '5',
      '--count',
      '400',
      '--quiet',
      '--json',
      join(dir, 's.json'),
    ]);
    expect(r.status).toBe(0);
    const s = JSON.parse(readFileSync(join(dir, 's.json'), 'utf8'));
    expect(s.stages[0].details.settings).toMatchObject({ rate: 2000, flush_ms: 5 });
    // 10 packets fall due per 5 ms and leave together, stamped when due: they waited 0.5-5 ms
    expect(s.latency_seconds.p50).toBeGreaterThan(0.002);
    expect(s.accounting_closed).toBe(true);
  });

  test('a change without VNFLAB_CONTROL_TOKEN, a bad flag value, and an unreachable URL are one-line usage errors', async () => {
    delete process.env.VNFLAB_CONTROL_TOKEN;
    await expect(traffic(['--url', 'http://127.0.0.1:9', '--rate', '5'])).rejects.toThrow(/VNFLAB_CONTROL_TOKEN/);
    process.env.VNFLAB_CONTROL_TOKEN = TOKEN;
    await expect(traffic(['--rate', 'fast'])).rejects.toThrow(/--rate: "fast" is not a number/);
    await expect(traffic(['--flush-ms', '2000'])).rejects.toThrow(/--flush-ms: 2000 is above the maximum 1000/);
    await expect(traffic(['--stop', '--start'])).rejects.toThrow(/one of --stop, --start and --end/);
    await expect(traffic(['--url', 'http://127.0.0.1:9'])).rejects.toThrow(
      /cannot reach http:\/\/127.0.0.1:9\/traffic/,
    );
  });
});
