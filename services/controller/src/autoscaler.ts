// `vnflab autoscale STAGE --min N --max M --lag L`: a stage's replicas follow its consumer
// group's lag on a Swarm. Each reading of the lag (stream-lag.ts) is one step: above L on two
// readings in a row, one replica more; below L/4, one fewer; always within min..max. Two readings
// keep one burst from adding a replica; the gap between L/4 and L keeps the count from flapping;
// one replica at a time lets the new one take its share before the next reading. A replica
// removed drains what it holds on SIGTERM (the bus's graceful drain), so scaling in loses nothing.

export interface AutoscalePolicy {
  min: number;
  max: number;
  /** Lag (batches) above which the stage is short of replicas. */
  lag: number;
}

export interface ScaleDecision {
  replicas: number;
  action: 'up' | 'down' | 'hold';
  reason: string;
}

/** Checks a policy; the message names the flag that is wrong. */
export function policyError(p: AutoscalePolicy): string | undefined {
  if (!Number.isInteger(p.min) || p.min < 1) return `--min: ${p.min} is not a whole number of replicas >= 1`;
  if (!Number.isInteger(p.max) || p.max < p.min) return `--max: ${p.max} is not a whole number >= --min (${p.min})`;
  if (!(p.lag > 0)) return `--lag: ${p.lag} is not a number of batches > 0`;
  return undefined;
}

/** The decision loop's state: the replicas it last saw and how many readings in a row were high. */
export class Autoscaler {
  private highStreak = 0;

  constructor(readonly policy: AutoscalePolicy) {
    const err = policyError(policy);
    if (err) throw new RangeError(err);
  }

  /** One reading: the lag now and the replicas the service has; what to set. */
  decide(lag: number, replicas: number): ScaleDecision {
    const { min, max } = this.policy;
    const high = this.policy.lag;
    if (replicas < min) return { replicas: min, action: 'up', reason: `${replicas} replicas, below --min ${min}` };
    if (replicas > max) return { replicas: max, action: 'down', reason: `${replicas} replicas, above --max ${max}` };
    if (lag > high) {
      this.highStreak++;
      if (this.highStreak < 2) return { replicas, action: 'hold', reason: `lag ${lag} > ${high}, first reading` };
      this.highStreak = 0;
      if (replicas >= max) return { replicas, action: 'hold', reason: `lag ${lag} > ${high}, at --max ${max}` };
      return { replicas: replicas + 1, action: 'up', reason: `lag ${lag} > ${high} on two readings` };
    }
    this.highStreak = 0;
    if (lag < high / 4 && replicas > min)
      return { replicas: replicas - 1, action: 'down', reason: `lag ${lag} < ${high / 4} (--lag / 4)` };
    return { replicas, action: 'hold', reason: `lag ${lag}` };
  }
}
