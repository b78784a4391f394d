/** A mistake in how the command was called: printed as one line, exit code 2, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function num(
  flag: string,
  v: string | undefined,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag}: "${v}" is not a number`);
  if (opts.integer && !Number.isInteger(n)) throw new UsageError(`--${flag}: "${v}" is not a whole number`);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`--${flag}: ${n} is below the minimum ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw new UsageError(`--${flag}: ${n} is above the maximum ${opts.max}`);
  return n;
}
