/**
 * Following a launched run until it ends, with back-off and a bound.
 */

/**
 * Waits between polls: from `firstMs`, growing by `factor` up to `maxMs`, until `totalMs`
 * have been waited in all (so a run that never ends stops being polled).
 */
export function backoffDelays(
  firstMs = 500,
  factor = 1.5,
  maxMs = 5000,
  totalMs = 10 * 60 * 1000
): number[] {
  const delays: number[] = [];
  let waited = 0;
  let delay = firstMs;
  while (waited + delay <= totalMs) {
    delays.push(delay);
    waited += delay;
    delay = Math.min(maxMs, Math.round(delay * factor));
  }
  return delays;
}

export interface IPollOptions<T> {
  read: () => Promise<T>;
  isDone: (value: T) => boolean;
  delays: readonly number[];
  /**
   * Called with each value read, so the caller can show the state as it changes.
   */
  onValue?: (value: T) => void;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Stops polling early (the view went away).
   */
  cancelled?: () => boolean;
}

/**
 * Reads until `isDone`; resolves with the last value read, or null when the delays ran out
 * or polling was cancelled. A failed read is retried at the next delay: one lost answer
 * must not lose the run.
 */
export async function pollUntil<T>(
  options: IPollOptions<T>
): Promise<T | null> {
  const sleep =
    options.sleep ?? ((ms: number) => new Promise(r => setTimeout(r, ms)));
  for (const delay of options.delays) {
    await sleep(delay);
    if (options.cancelled?.()) {
      return null;
    }
    let value: T;
    try {
      value = await options.read();
    } catch {
      continue;
    }
    options.onValue?.(value);
    if (options.isDone(value)) {
      return value;
    }
  }
  return null;
}
