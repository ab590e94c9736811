/**
 * The pure logic of the run detail view: merging log lines and states that arrive twice (a page
 * and an event, or a replay after a reconnection), durations, levels, the failure reason.
 */
import { isTerminal } from '../model/runStates';
import { ILogLine, IRunDetail, IStateChange } from '../tokens';

/**
 * Log levels from least to most severe (Python's logging names, as the gateway sends them).
 */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];

/**
 * The rank of a level in LOG_LEVELS; an unknown level ranks with INFO.
 */
export function levelRank(level: string): number {
  const rank = LOG_LEVELS.indexOf(level.toUpperCase());
  return rank < 0 ? 1 : rank;
}

/**
 * The lines at `minLevel` or more severe.
 */
export function filterLogs(lines: ILogLine[], minLevel: string): ILogLine[] {
  const floor = levelRank(minLevel);
  return lines.filter(line => levelRank(line.level) >= floor);
}

function logKey(line: ILogLine): string {
  return [
    Date.parse(line.timestamp),
    line.level,
    line.logger,
    line.message
  ].join('\u0000');
}

/**
 * `current` plus the lines of `incoming` it lacks, oldest first; `current` is returned as is
 * when nothing is new (so React skips a render).
 */
export function mergeLogs(
  current: ILogLine[],
  incoming: ILogLine[]
): ILogLine[] {
  const seen = new Set(current.map(logKey));
  const added: ILogLine[] = [];
  for (const line of incoming) {
    const key = logKey(line);
    if (!seen.has(key)) {
      seen.add(key);
      added.push(line);
    }
  }
  if (added.length === 0) {
    return current;
  }
  const merged = current.concat(added);
  const last = current.length
    ? Date.parse(current[current.length - 1].timestamp)
    : -Infinity;
  if (added.some(line => Date.parse(line.timestamp) < last)) {
    // Array.prototype.sort is stable: lines of the same instant keep their arrival order.
    merged.sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  }
  return merged;
}

/**
 * The state history with `change` in its place (by time), once.
 */
export function mergeStates(
  history: IStateChange[],
  change: IStateChange
): IStateChange[] {
  const at = Date.parse(change.timestamp);
  if (
    history.some(
      s => s.state === change.state && Date.parse(s.timestamp) === at
    )
  ) {
    return history;
  }
  return history
    .concat([change])
    .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
}

/**
 * A duration for people: "0.4 s", "42 s", "3 min 05 s", "2 h 07 min".
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    return '–';
  }
  if (ms < 10_000) {
    return `${(ms / 1000).toFixed(1)} s`;
  }
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) {
    return `${seconds} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  }
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/**
 * How long the run ran: start to end, or start to `now` while it runs; null before it starts.
 */
export function runDurationMs(run: IRunDetail, now: number): number | null {
  if (!run.start_time) {
    return null;
  }
  const start = Date.parse(run.start_time);
  const end = run.end_time
    ? Date.parse(run.end_time)
    : isTerminal(run.state)
      ? start
      : now;
  return Math.max(0, end - start);
}

/**
 * Why the run ended badly: the message of its last failed, crashed or cancelled state.
 */
export function failureReason(
  run: IRunDetail,
  history: IStateChange[]
): string | null {
  if (!['FAILED', 'CRASHED', 'CANCELLED'].includes(run.state)) {
    return null;
  }
  for (let i = history.length - 1; i >= 0; i--) {
    const change = history[i];
    if (change.state === run.state && change.message) {
      return change.message;
    }
  }
  return null;
}

/**
 * A parameter value to read: strings as they are, anything else as indented JSON.
 */
export function formatParameter(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value, null, 2) ?? String(value);
}
