import { Backoff } from './backoff';
import { IServerEvent } from './sse';

/**
 * Why a stream could not be opened or ended early: `missing` when the server has no events
 * endpoint (a 404 that is not a JSON error), `gone` when the run itself is not found.
 */
export class StreamError extends Error {
  constructor(
    message: string,
    readonly kind: 'missing' | 'gone' | 'failed'
  ) {
    super(message);
  }
}

/**
 * Opens `GET runs/{id}/events` and calls `onEvent` per event; resolves when the server closes
 * the stream, rejects with a `StreamError` (or a network error) when it cannot.
 */
export type OpenStream = (
  runId: string,
  onEvent: (event: IServerEvent) => void,
  signal: AbortSignal
) => Promise<void>;

export interface IRunFollowerOptions {
  openStream: OpenStream;
  /**
   * Every event of every followed run.
   */
  onEvent: (runId: string, event: IServerEvent) => void;
  /**
   * The server has no events endpoint: the caller polls the list instead.
   */
  onUnavailable: () => void;
  /**
   * A stream could not be opened or broke (not called for a stop, nor for "missing", which
   * `onUnavailable` reports): a view that shows one run says so while the follower retries.
   * A `StreamError` of kind `gone` means the run is not found and is not followed any more.
   */
  onStreamError?: (runId: string, error: unknown) => void;
  backoff?: { initialMs: number; maxMs: number };
}

/**
 * Follows the live events of the runs not yet final: one stream per run, reconnected with
 * back-off when it drops before its `end` event.
 */
export class RunFollower {
  constructor(options: IRunFollowerOptions) {
    this._options = options;
  }

  /**
   * Whether streams work (false after the endpoint answered "missing").
   */
  get available(): boolean {
    return this._available;
  }

  /**
   * Follow exactly these runs: streams open for new ids and close for ids no longer listed.
   */
  follow(runIds: readonly string[]): void {
    if (this._disposed || !this._available) {
      return;
    }
    const wanted = new Set(runIds);
    for (const [runId, followed] of this._followed) {
      if (!wanted.has(runId)) {
        this._stop(runId, followed);
      }
    }
    for (const runId of wanted) {
      if (!this._followed.has(runId) && !this._ended.has(runId)) {
        this._start(runId);
      }
    }
  }

  get followedRunIds(): string[] {
    return [...this._followed.keys()];
  }

  dispose(): void {
    this._disposed = true;
    this._stopAll();
  }

  private _start(runId: string): void {
    const backoff = new Backoff(
      this._options.backoff ?? { initialMs: 1000, maxMs: 30000 }
    );
    const followed: IFollowed = {
      controller: new AbortController(),
      backoff,
      timer: null
    };
    this._followed.set(runId, followed);
    void this._connect(runId, followed);
  }

  private async _connect(runId: string, followed: IFollowed): Promise<void> {
    const { signal } = followed.controller;
    let ended = false;
    try {
      await this._options.openStream(
        runId,
        event => {
          // Any event means the connection works: the next drop retries quickly again.
          followed.backoff.reset();
          if (event.event === 'end') {
            ended = true;
          }
          this._options.onEvent(runId, event);
        },
        signal
      );
    } catch (error) {
      if (signal.aborted) {
        return;
      }
      if (error instanceof StreamError && error.kind === 'missing') {
        this._available = false;
        this._stopAll();
        this._options.onUnavailable();
        return;
      }
      if (error instanceof StreamError && error.kind === 'gone') {
        ended = true;
      }
      this._options.onStreamError?.(runId, error);
    }
    if (signal.aborted || this._followed.get(runId) !== followed) {
      return;
    }
    if (ended) {
      this._ended.add(runId);
      this._followed.delete(runId);
      return;
    }
    followed.timer = setTimeout(() => {
      followed.timer = null;
      if (this._followed.get(runId) === followed) {
        void this._connect(runId, followed);
      }
    }, followed.backoff.next());
  }

  private _stopAll(): void {
    for (const [runId, followed] of this._followed) {
      this._stop(runId, followed);
    }
  }

  private _stop(runId: string, followed: IFollowed): void {
    followed.controller.abort();
    if (followed.timer !== null) {
      clearTimeout(followed.timer);
    }
    this._followed.delete(runId);
  }

  private _options: IRunFollowerOptions;
  private _followed = new Map<string, IFollowed>();
  private _ended = new Set<string>();
  private _available = true;
  private _disposed = false;
}

interface IFollowed {
  controller: AbortController;
  backoff: Backoff;
  timer: ReturnType<typeof setTimeout> | null;
}
