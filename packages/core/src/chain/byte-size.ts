// Sizes as people write them: `2147483648`, `512MiB`, `4 GiB`, `1.5G` (binary units; K, M, G, T
// are read as KiB, MiB, GiB, TiB). Used by the memory budget's chain-file key and environment
// variable.

const UNITS: Record<string, number> = { b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Bytes of `text`, or null when it is not a positive size. */
export function parseByteSize(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && text > 0 ? Math.floor(text) : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|(b))?\s*$/i.exec(text);
  if (!m) return null;
  const bytes = Math.floor(Number(m[1]) * UNITS[(m[2] ?? m[3] ?? 'b').toLowerCase()]);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : null;
}

/** `1.5 GiB`, `640 MiB`, `812 B`: a size for a message. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} B`;
}
