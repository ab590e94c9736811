/**
 * Prefect state types as the gateway reports them, and the filters of the runs list.
 */
export const TERMINAL_STATES: ReadonlySet<string> = new Set([
  'COMPLETED',
  'FAILED',
  'CRASHED',
  'CANCELLED'
]);

export function isTerminal(state: string): boolean {
  return TERMINAL_STATES.has(state);
}

/**
 * How far along a run is in a state: a pushed event and a listed page may disagree for a
 * moment, and the one further along is the newer (states never go back).
 */
export function progress(state: string): number {
  switch (state) {
    case 'SCHEDULED':
      return 0;
    case 'PENDING':
      return 1;
    case 'RUNNING':
    case 'PAUSED':
      return 2;
    case 'CANCELLING':
      return 3;
    default:
      return isTerminal(state) ? 4 : 0;
  }
}

/**
 * The state filter of the runs list (applied on the page in the browser).
 */
export type StateFilter =
  'all' | 'active' | 'completed' | 'failed' | 'cancelled';

export const STATE_FILTERS: readonly StateFilter[] = [
  'all',
  'active',
  'completed',
  'failed',
  'cancelled'
];

export function matchesFilter(state: string, filter: StateFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'active':
      return !isTerminal(state);
    case 'completed':
      return state === 'COMPLETED';
    case 'failed':
      return state === 'FAILED' || state === 'CRASHED';
    case 'cancelled':
      return state === 'CANCELLED' || state === 'CANCELLING';
  }
}
