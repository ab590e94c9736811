import { Backoff } from './backoff';

/**
 * What the panel knows of the gateway and the user, from `GET session` (or `GET status` on a
 * server without sessions).
 */
export type GatewayState =
  | { kind: 'checking' }
  | { kind: 'unreachable'; gatewayUrl: string | null; message: string }
  | { kind: 'signed-out'; gatewayUrl: string; message: string | null }
  | {
      kind: 'signed-in';
      gatewayUrl: string;
      user: IUser | null;
      source: SessionSource;
    };

export interface IUser {
  name: string;
  role: 'admin' | 'analyst' | 'viewer';
}

/**
 * Where the server's gateway token comes from; `unknown` on a server without `GET session`,
 * whose token is the operator's or the environment's.
 */
export type SessionSource = 'sign-in' | 'environment' | 'operator' | 'unknown';

/**
 * Answer of `GET /lakebook/session` (docs/lab-extension.md, E2).
 */
export interface ISessionAnswer {
  signed_in: boolean;
  user: IUser | null;
  source: 'sign-in' | 'environment' | 'operator' | null;
  gateway_url: string;
  gateway_ok: boolean;
  message: string | null;
}

/**
 * Answer of `GET /lakebook/status`.
 */
export interface IStatusAnswer {
  gateway_url: string;
  gateway_ok: boolean;
}

export function fromSession(answer: ISessionAnswer): GatewayState {
  if (!answer.gateway_ok) {
    return {
      kind: 'unreachable',
      gatewayUrl: answer.gateway_url,
      message: answer.message || `no answer from ${answer.gateway_url}`
    };
  }
  if (!answer.signed_in) {
    return {
      kind: 'signed-out',
      gatewayUrl: answer.gateway_url,
      message: answer.message
    };
  }
  return {
    kind: 'signed-in',
    gatewayUrl: answer.gateway_url,
    user: answer.user,
    source: answer.source ?? 'unknown'
  };
}

/**
 * A server without sessions calls the gateway with the operator's or the environment's token.
 */
export function fromStatus(status: IStatusAnswer): GatewayState {
  if (!status.gateway_ok) {
    return {
      kind: 'unreachable',
      gatewayUrl: status.gateway_url,
      message: `no answer from ${status.gateway_url}`
    };
  }
  return {
    kind: 'signed-in',
    gatewayUrl: status.gateway_url,
    user: null,
    source: 'unknown'
  };
}

export interface IGatewayMonitorOptions {
  /**
   * One check of the session; rejects when the Jupyter server does not answer.
   */
  check: () => Promise<GatewayState>;
  /**
   * Seconds between checks while the gateway answers.
   */
  intervalSeconds: number;
  backoff?: { initialMs: number; maxMs: number };
}

/**
 * Re-checks the gateway on an interval while it answers, and with back-off while it does not,
 * so the panel recovers by itself when the gateway comes back.
 */
export class GatewayMonitor {
  constructor(options: IGatewayMonitorOptions) {
    this._options = options;
    this._backoff = new Backoff(
      options.backoff ?? { initialMs: 2000, maxMs: 30000 }
    );
  }

  get state(): GatewayState {
    return this._state;
  }

  /**
   * Called when the state changes (its kind, user or message).
   */
  onChange(
    listener: (state: GatewayState, previous: GatewayState) => void
  ): void {
    this._listeners.push(listener);
  }

  set intervalSeconds(seconds: number) {
    this._options.intervalSeconds = seconds;
    if (this._state.kind !== 'unreachable' && this._state.kind !== 'checking') {
      this._schedule(seconds * 1000);
    }
  }

  /**
   * Check now (Retry, Refresh, after a sign-in); the periodic checks go on from here.
   */
  async refresh(): Promise<GatewayState> {
    this._cancelTimer();
    const generation = ++this._generation;
    let state: GatewayState;
    try {
      state = await this._options.check();
    } catch (error) {
      state = {
        kind: 'unreachable',
        gatewayUrl: null,
        message: error instanceof Error ? error.message : String(error)
      };
    }
    if (this._disposed || generation !== this._generation) {
      return state; // a newer check is under way: it decides
    }
    this.set(state);
    return state;
  }

  /**
   * Adopt a state learnt otherwise (the answer of a sign-in or a sign-out).
   */
  set(state: GatewayState): void {
    const previous = this._state;
    this._state = state;
    if (state.kind === 'unreachable') {
      this._schedule(this._backoff.next());
    } else {
      this._backoff.reset();
      this._schedule(this._options.intervalSeconds * 1000);
    }
    if (JSON.stringify(previous) !== JSON.stringify(state)) {
      for (const listener of this._listeners) {
        listener(state, previous);
      }
    }
  }

  dispose(): void {
    this._disposed = true;
    this._cancelTimer();
  }

  private _schedule(delayMs: number): void {
    this._cancelTimer();
    if (this._disposed) {
      return;
    }
    this._timer = setTimeout(() => void this.refresh(), delayMs);
  }

  private _cancelTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _options: IGatewayMonitorOptions;
  private _backoff: Backoff;
  private _state: GatewayState = { kind: 'checking' };
  private _listeners: ((
    state: GatewayState,
    previous: GatewayState
  ) => void)[] = [];
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _generation = 0;
  private _disposed = false;
}
