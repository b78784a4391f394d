// Maglev's table size must be prime: then every skip in 1..M-1 is coprime with M, so each
// backend's preference list (offset + j*skip mod M) is a full permutation of the slots.

export const MIN_TABLE_SIZE = 3;
/** 2^24 - 3: 64 MiB of table per VIP is the most a lab run should hold. */
export const MAX_TABLE_SIZE = 16777213;

/** Deterministic trial division; sizes are at most a few million, checked on the control path. */
export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  if (n % 3 === 0) return n === 3;
  for (let d = 5; d * d <= n; d += 6) if (n % d === 0 || n % (d + 2) === 0) return false;
  return true;
}

/** The nearest primes below and above n, for error messages that suggest a fix. */
export function nearestPrimes(n: number): { below: number | null; above: number } {
  let below: number | null = null;
  for (let k = Math.floor(n) - 1; k >= 2; k--) {
    if (isPrime(k)) {
      below = k;
      break;
    }
  }
  let above = Math.max(2, Math.floor(n) + 1);
  while (!isPrime(above)) above++;
  return { below, above };
}

/** Throws a message naming `key` when n is not a usable prime table size. */
export function assertPrimeTableSize(n: number, key = 'table_size', min = MIN_TABLE_SIZE, max = MAX_TABLE_SIZE): void {
  if (!Number.isInteger(n))
    throw new Error(`${key}: ${n} is not an integer; Maglev needs a prime table size such as 65537`);
  if (n < min || n > max) throw new Error(`${key}: ${n} is out of range ${min}..${max}`);
  if (!isPrime(n)) {
    const { below, above } = nearestPrimes(n);
    throw new Error(
      `${key}: ${n} is not prime; Maglev needs a prime table size (nearest primes: ${below !== null ? `${below} and ` : ''}${above})`,
    );
  }
}
