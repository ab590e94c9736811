import { IRunState } from '../api/lake';
import { dispatchRunEvent } from '../api/events';
import { backoffDelays, pollUntil } from './poll';
import { OpenStream, RunFollower, StreamError } from './runFollower';
import { isTerminal } from './runStates';

export type RunProgress = Pick<IRunState, 'state' | 'state_name'>;

export interface IFollowRunOptions {
  runId: string;
  /**
   * Reads the run: once its stream ended (for the final state as the gateway records it),
   * and repeatedly where the server has no event stream.
   */
  read: () => Promise<IRunState>;
  openStream: OpenStream;
  /**
   * Called each time the run's state changes.
   */
  onRun: (run: RunProgress) => void;
  /**
   * Stops following (the view went away): the promise resolves with null.
   */
  signal: AbortSignal;
  /**
   * The waits between reads when polling (tests shorten them).
   */
  pollDelays?: readonly number[];
}

/**
 * Follows one run until it ends and resolves with its final state: over the run's event
 * stream, so each state shows as it happens (the panel's `RunFollower`, which reconnects with
 * back-off), or by polling with back-off where the server has no stream. Null when stopped,
 * when the run is gone, or when polling ran out of patience.
 */
export function followRunToEnd(
  options: IFollowRunOptions
): Promise<IRunState | null> {
  const { runId, read, onRun, signal } = options;
  const delays = options.pollDelays ?? backoffDelays();
  return new Promise(resolve => {
    let settled = false;
    const finish = (run: IRunState | null) => {
      if (!settled) {
        settled = true;
        follower.dispose();
        resolve(signal.aborted ? null : run);
      }
    };
    // The first read is at once: the stream's `end` means the gateway has the final state.
    const pollToEnd = (waits: readonly number[]) =>
      pollUntil<IRunState>({
        read,
        isDone: run => isTerminal(run.state),
        delays: waits,
        onValue: run => !signal.aborted && onRun(run),
        cancelled: () => signal.aborted
      }).then(finish);
    const follower = new RunFollower({
      openStream: options.openStream,
      onEvent: (_id, event) =>
        dispatchRunEvent(event, {
          onState: change =>
            onRun({ state: change.state, state_name: change.name }),
          onLog: () => undefined,
          onError: () => undefined,
          onEnd: () => void pollToEnd([0, ...delays])
        }),
      onUnavailable: () => void pollToEnd(delays),
      onStreamError: (_id, error) => {
        if (error instanceof StreamError && error.kind === 'gone') {
          finish(null);
        }
      }
    });
    signal.addEventListener('abort', () => finish(null), { once: true });
    follower.follow([runId]);
  });
}
