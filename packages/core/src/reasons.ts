// Drop reasons. A dropped packet carries a small numeric code in its batch metadata; the code's
// name is what metrics, logs and summaries show. Codes are process-local: a dropped packet never
// crosses the bus, only its count does.

const names: string[] = ['none'];
const codes = new Map<string, number>([['none', 0]]);

/** Returns the code for a reason name, registering it on first use. */
export function reasonCode(name: string): number {
  let code = codes.get(name);
  if (code === undefined) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`drop reason "${name}" must be snake_case`);
    if (names.length >= 0xffff) throw new Error('too many drop reasons');
    code = names.length;
    names.push(name);
    codes.set(name, code);
  }
  return code;
}

/** Every reason registered in this process so far. */
export function knownReasons(): string[] {
  return names.slice(1);
}

export function reasonName(code: number): string {
  return names[code] ?? `unknown_${code}`;
}

/** Reasons every stage may use, registered up front so their codes are stable and cheap. */
export const Reason = {
  none: 0,
  truncated: reasonCode('truncated'),
  not_ipv4: reasonCode('not_ipv4'),
  bad_version: reasonCode('bad_version'),
  bad_ihl: reasonCode('bad_ihl'),
  bad_total_length: reasonCode('bad_total_length'),
  fragment: reasonCode('fragment'),
  ttl_expired: reasonCode('ttl_expired'),
  bad_ip_checksum: reasonCode('bad_ip_checksum'),
  bad_l4_length: reasonCode('bad_l4_length'),
  bad_l4_checksum: reasonCode('bad_l4_checksum'),
  unsupported_l4: reasonCode('unsupported_l4'),
  oversize: reasonCode('oversize'),
  bus_full: reasonCode('bus_full'),
  shutdown: reasonCode('shutdown'),
  element_error: reasonCode('element_error'),
  /** A replayed capture record whose link type cannot be normalised to Ethernet. */
  pcap_link_type: reasonCode('pcap_link_type'),
  /** A packet an element originated after the hop it was meant for had ended (a loop chain's end). */
  chain_ended: reasonCode('chain_ended'),
} as const;
