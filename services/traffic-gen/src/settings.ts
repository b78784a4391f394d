// Traffic generator settings: schema (TypeBox, for chain files and the CLI) and defaults.

import { Type, type Static } from '@sinclair/typebox';
import { ipFromString } from '@vnflab/core';

export const GeneratorSettingsSchema = Type.Object(
  {
    proto: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp')], { description: 'L4 protocol' })),
    size: Type.Optional(
      Type.Union([Type.Integer({ minimum: 64, maximum: 1518 }), Type.Literal('imix')], {
        description: 'wire size in bytes incl. FCS, or imix (7:4:1 of 64/570/1518)',
      }),
    ),
    flows: Type.Optional(Type.Integer({ minimum: 1, maximum: 1048576 })),
    distribution: Type.Optional(Type.Union([Type.Literal('uniform'), Type.Literal('zipf')])),
    zipf_s: Type.Optional(Type.Number({ minimum: 0, maximum: 5, description: 'Zipf exponent' })),
    rate: Type.Optional(Type.Number({ minimum: 0, description: 'packets per second; 0 = as fast as the chain takes' })),
    flush_ms: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1000,
        description:
          'with a rate: a batch goes when full or when its oldest packet has waited this long (timed drain); 0 = each packet as it falls due',
      }),
    ),
    count: Type.Optional(Type.Integer({ minimum: 0, description: 'packets to send; 0 = no limit' })),
    duration: Type.Optional(Type.Number({ minimum: 0, description: 'seconds to send; 0 = no limit' })),
    src_net: Type.Optional(
      Type.String({
        description: 'first source address; flow i uses src_net + floor(i / 16384), port 49152 + i mod 16384',
      }),
    ),
    dst: Type.Optional(Type.String({ description: 'destination address:port (the VIP)' })),
    pcap_in: Type.Optional(Type.String({ description: 'replay this capture instead of generating' })),
    pcap_timing: Type.Optional(Type.Union([Type.Literal('original'), Type.Literal('none')])),
    pcap_speed: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: 'replay speed factor for original timing' }),
    ),
    pcap_loop: Type.Optional(Type.Integer({ minimum: 1, description: 'times to replay the capture' })),
    seed: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

export type GeneratorSettings = Static<typeof GeneratorSettingsSchema>;

export const GENERATOR_DEFAULTS = {
  proto: 'udp',
  size: 64,
  flows: 1024,
  distribution: 'uniform',
  zipf_s: 1.0,
  rate: 0,
  flush_ms: 2,
  count: 0,
  duration: 0,
  src_net: '10.1.0.1',
  dst: '10.0.0.100:80',
  pcap_timing: 'none',
  pcap_speed: 1,
  pcap_loop: 1,
  seed: 1,
} as const satisfies GeneratorSettings;

/** IMIX (simple, 7:4:1). */
export const IMIX = [64, 64, 64, 64, 64, 64, 64, 570, 570, 570, 570, 1518];

/** "A.B.C.D:PORT"; a bad one throws naming its settings key, since a chain file's user must find it. */
export function parseHostPort(s: string, key = 'dst'): { ip: string; port: number } {
  const m = /^([^:]*):(\d+)$/.exec(s);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`${key}: "${s}" is not address:port`);
  return { ip: checkIpv4(m[1], key), port: Number(m[2]) };
}

/** A dotted-quad IPv4 address, or an error naming the settings key it came from. */
export function checkIpv4(s: string, key: string): string {
  try {
    ipFromString(s);
  } catch {
    throw new Error(`${key}: "${s}" is not an IPv4 address`);
  }
  return s;
}
