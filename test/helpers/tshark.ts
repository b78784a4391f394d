// tshark for the tests that let an independent implementation judge our frames: where it is on
// PATH, and a describe that skips (saying why) where it is not.

import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

function onPath(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return join(dir, cmd);
    } catch {
      /* not here */
    }
  }
  return null;
}

/** tshark's path, or null when it is not installed. */
export const TSHARK = onPath('tshark');

/** `describe` where tshark is installed; elsewhere `describe.skip`, with one line naming the test file. */
export function describeWithTshark(file: string): jest.Describe {
  if (!TSHARK) console.warn(`${file} skipped: tshark is not on PATH (install it with \`apt-get install tshark\`)`);
  return TSHARK ? describe : describe.skip;
}

/** Runs `tshark -n ARGS`; throws with tshark's own error when it fails. */
export function tshark(args: string[]): string {
  const r = spawnSync(TSHARK!, ['-n', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The rows of `-z conv,tcp`: one per TCP conversation tshark finds in the capture. */
export function tcpConversations(file: string): string[] {
  return tshark(['-r', file, '-q', '-z', 'conv,tcp'])
    .split('\n')
    .filter((l) => l.includes('<->'));
}

/**
 * One tab-separated line per frame with `fields`, IP and TCP checksum verification on (their
 * status fields read 1 when good); `extra` goes before the field options (e.g. `-d` decodes).
 */
export function checkedFields(file: string, fields: string[], extra: string[] = []): string[] {
  return tshark([
    '-r',
    file,
    ...extra,
    '-o',
    'ip.check_checksum:TRUE',
    '-o',
    'tcp.check_checksum:TRUE',
    '-T',
    'fields',
    '-E',
    'separator=\t',
    ...fields.flatMap((f) => ['-e', f]),
  ])
    .split('\n')
    .filter((l) => l.length > 0);
}

/** What the replay and capture tests ask of every frame: length, addresses, checksum and malformation status. */
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

// Generated flows use ephemeral source ports and port 80, where Wireshark would guess at
// application protocols; decoding them as plain data judges only our layers (Ethernet, IPv4, UDP/TCP).
const AS_DATA = ['udp.port==49152-65535', 'tcp.port==49152-65535', 'udp.port==80', 'tcp.port==80'].flatMap((d) => [
  '-d',
  `${d},data`,
]);

/** `fields` of every frame in `file`, UDP checksums checked too, repeated fields joined with commas. */
export function tsharkFrames(file: string, fields = TSHARK_FIELDS): Record<string, string>[] {
  return checkedFields(file, fields, [
    ...AS_DATA,
    '-o',
    'udp.check_checksum:TRUE',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=,',
  ]).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [fields[i], v])));
}
