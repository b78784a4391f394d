// A replay that sends a frame twice — the capture holds it twice, or pcap_loop replays it again —
// sends packets the user asked for: each is received (a sequence number of its own in this
// replay), none is mistaken for a bus duplicate, and the summary says how many were repeats.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter, buildFrame, discoverStages, loadChainFile, readCapture, writeProbe } from '@vnflab/core';
import { runChain } from '@vnflab/runtime';
import { formatSummary } from '../../../packages/cli/src/summary-table';

const CHAIN = join(__dirname, '..', '..', '..', 'chains', 'default.yaml');

/** A capture of 64 B frames to the VIP carrying probes (flow, seq): the first one twice. */
function captureWithARepeat(path: string): void {
  const w = new PcapWriter(path);
  const frame = (flow: number, seq: number): Buffer => {
    const f = buildFrame({
      srcIp: 0x0a010001 + flow,
      dstIp: 0x0a000064,
      proto: 'udp',
      srcPort: 40000 + flow,
      dstPort: 80,
      frameLen: 60,
    });
    writeProbe(f, 42, flow, seq, 1);
    // the probe changed the payload: rebuild the checksum the way the generator's frames have it
    return buildFrame(
      { srcIp: 0x0a010001 + flow, dstIp: 0x0a000064, proto: 'udp', srcPort: 40000 + flow, dstPort: 80, frameLen: 60 },
      f.subarray(42),
    );
  };
  for (const [flow, seq] of [
    [0, 0],
    [0, 0],
    [0, 1],
    [1, 0],
  ]) {
    const f = frame(flow, seq);
    w.write(f, 0, f.length, 1000, 0);
  }
  w.close();
}

test('a frame held twice and a second loop: every copy received, the repeats counted', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'vnflab-replay-')), 'repeat.pcap');
  captureWithARepeat(path);
  expect(readCapture(path).records).toHaveLength(4);
  const reg = discoverStages();
  const chain = loadChainFile(CHAIN, reg);
  chain.profile = 'zero';
  chain.stages[0].settings = { pcap_in: path, pcap_loop: 2, pcap_timing: 'none', dst: '10.0.0.100:80' };
  const { summary } = await runChain(chain, reg);
  expect(summary.sent).toBe(8);
  expect(summary.received).toBe(8);
  expect(summary.duplicates).toBe(0);
  expect(summary.accounting_closed).toBe(true);
  const gen = summary.stages[0].details as { replay_repeats: number };
  // the second copy in the first loop, and all four in the second
  expect(gen.replay_repeats).toBe(5);
  // and the printed summary says so, not only the JSON
  expect(formatSummary(summary)).toMatch(/^ +replay: 5 of 8 packets sent repeat an earlier frame/m);
});
