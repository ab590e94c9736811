/**
 * Delays between retries: doubling from `initialMs` up to `maxMs`, so a gateway that is down
 * is asked less and less often but never given up on, and one that is back is found quickly.
 */
export interface IBackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
}

export class Backoff {
  constructor(options: IBackoffOptions) {
    this._initial = options.initialMs;
    this._max = options.maxMs;
    this._factor = options.factor ?? 2;
  }

  /**
   * How many failures in a row so far.
   */
  get attempts(): number {
    return this._attempts;
  }

  /**
   * The delay before the next retry; each call counts one more failure.
   */
  next(): number {
    const delay = Math.min(
      this._max,
      this._initial * Math.pow(this._factor, this._attempts)
    );
    this._attempts += 1;
    return delay;
  }

  /**
   * After a success: the next failure waits `initialMs` again.
   */
  reset(): void {
    this._attempts = 0;
  }

  private _initial: number;
  private _max: number;
  private _factor: number;
  private _attempts = 0;
}
