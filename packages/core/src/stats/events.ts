// Mechanism events (interrupt, vm_exit, copy, ...). Like drop reasons, an event is a small
// process-local code registered by name on first use: each stage registers the events it counts
// (its manifest lists them), so core knows no stage's events.

/** Room in every StageStats for this many distinct events. */
export const MAX_EVENTS = 64;

const names: string[] = [];
const codes = new Map<string, number>();

/** Returns the code for an event name, registering it on first use. */
export function eventCode(name: string): number {
  let code = codes.get(name);
  if (code === undefined) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`event "${name}" must be snake_case`);
    if (names.length >= MAX_EVENTS) throw new Error(`more than ${MAX_EVENTS} events registered`);
    code = names.length;
    names.push(name);
    codes.set(name, code);
  }
  return code;
}

/** Registers a stage's events and returns name -> code, for binding once at module load. */
export function eventCodes<const K extends string>(list: readonly K[]): { readonly [N in K]: number } {
  return Object.fromEntries(list.map((n) => [n, eventCode(n)])) as { [N in K]: number };
}

/** Every event registered in this process so far, in code order. */
export function knownEvents(): readonly string[] {
  return names;
}

export function eventName(code: number): string {
  return names[code] ?? `event_${code}`;
}

/**
 * The one event the runtime counts itself: packets whose queueing or end-to-end time was not
 * taken because the timestamp came from another host's clock (Batch#enqueuedHere, #createdHere).
 */
export const UNTIMED_OTHER_HOST = eventCode('untimed_other_host');
