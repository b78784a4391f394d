// Byte offsets and constants of the headers we build and parse. All multi-byte fields are
// network byte order (big-endian).

export const ETH_HLEN = 14;
export const ETH_TYPE_OFF = 12;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_VLAN = 0x8100;

export const IPV4_MIN_HLEN = 20;
export const IP_VER_IHL = 0;
export const IP_TOS = 1;
export const IP_TOTAL_LEN = 2;
export const IP_ID = 4;
export const IP_FRAG = 6;
export const IP_TTL = 8;
export const IP_PROTO = 9;
export const IP_CSUM = 10;
export const IP_SRC = 12;
export const IP_DST = 16;
export const IP_FLAG_MF = 0x2000;
export const IP_FRAG_OFFSET_MASK = 0x1fff;

export const PROTO_IPIP = 4;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export const UDP_HLEN = 8;
export const UDP_SPORT = 0;
export const UDP_DPORT = 2;
export const UDP_LEN = 4;
export const UDP_CSUM = 6;

export const TCP_MIN_HLEN = 20;
export const TCP_SPORT = 0;
export const TCP_DPORT = 2;
export const TCP_SEQ = 4;
export const TCP_ACK = 8;
export const TCP_DATA_OFF = 12;
export const TCP_FLAGS = 13;
export const TCP_WINDOW = 14;
export const TCP_CSUM = 16;

/** Frame sizes are given as on the wire, FCS included (64..1518); captures hold them without it. */
export const FCS_LEN = 4;
export const MIN_WIRE_SIZE = 64;
export const MAX_WIRE_SIZE = 1518;
