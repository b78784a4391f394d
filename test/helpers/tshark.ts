// Reads a capture with tshark and returns per-frame fields. Source ports of generated flows are
// in the ephemeral range, where Wireshark would guess at application protocols by port; they are
// decoded as plain data so only our layers (Ethernet, IPv4, UDP/TCP) are judged.

import { spawnSync } from 'node:child_process';

export const TSHARK_FIELDS = [
  'frame.len',
  'ip.src',
  'ip.dst',
  'ip.checksum.status',
  'udp.checksum.status',
  'tcp.checksum.status',
  '_ws.malformed',
  '_ws.expert.severity',
];

export function tsharkFrames(file: string, fields = TSHARK_FIELDS): Record<string, string>[] {
  const args = [
    '-n',
    '-r',
    file,
    '-d',
    'udp.port==49152-65535,data',
    '-d',
    'tcp.port==49152-65535,data',
    '-d',
    'udp.port==80,data',
    '-d',
    'tcp.port==80,data',
    '-o',
    'ip.check_checksum:TRUE',
    '-o',
    'udp.check_checksum:TRUE',
    '-o',
    'tcp.check_checksum:TRUE',
    '-T',
    'fields',
    '-E',
    'separator=\t',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=,',
  ];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`tshark failed (${r.status}): ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => Object.fromEntries(l.split('\t').map((v, i) => [fields[i], v])));
}
