import { isTerminal, matchesFilter, progress, StateFilter } from './runStates';

/**
 * A run as the list shows it (the fields of the gateway's `RunOut` the panel uses).
 */
export interface IRunRow {
  run_id: string;
  flow_name: string;
  state: string;
  state_name: string;
  created_at: string;
}

/**
 * A `state` event pushed by `GET runs/{id}/events`.
 */
export interface IStateEvent {
  state: string;
  name: string;
}

/**
 * The runs list's state: the page last fetched, merged with the states pushed since, plus runs
 * launched from this panel that the page does not show yet.
 */
export class RunsStore {
  /**
   * Replace the page with a fresh answer of `GET runs` (newest first).
   */
  setPage(rows: readonly IRunRow[], offset: number): void {
    this._offset = offset;
    const listed = new Set(rows.map(row => row.run_id));
    // A launched run the page does not show yet stays on the first page until it appears.
    this._launched = this._launched.filter(row => !listed.has(row.run_id));
    this._page = rows.map(row => this._merged(row));
  }

  /**
   * A run this panel just launched: shown at once, before the list knows it.
   */
  addLaunched(row: IRunRow): void {
    if (!this._find(row.run_id)) {
      this._launched.unshift(row);
    }
  }

  /**
   * A pushed state event; returns whether it changed a row shown.
   */
  applyEvent(runId: string, event: IStateEvent): boolean {
    const pushed = this._pushed.get(runId);
    if (!pushed || progress(event.state) >= progress(pushed.state)) {
      this._pushed.set(runId, event);
    }
    const row = this._find(runId);
    if (!row) {
      return false;
    }
    const merged = this._merged(row);
    const changed =
      merged.state !== row.state || merged.state_name !== row.state_name;
    Object.assign(row, merged);
    return changed;
  }

  /**
   * The rows to show, newest first, with the state filter applied.
   */
  rows(filter: StateFilter = 'all'): IRunRow[] {
    const all =
      this._offset === 0 ? [...this._launched, ...this._page] : this._page;
    return all
      .filter(row => matchesFilter(row.state, filter))
      .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
  }

  /**
   * Ids of the rows shown that have not reached a final state (the ones to follow live).
   */
  activeRunIds(): string[] {
    return this.rows()
      .filter(row => !isTerminal(row.state))
      .map(row => row.run_id);
  }

  /**
   * How many rows the last page had (a full page means there may be a next one).
   */
  get pageLength(): number {
    return this._page.length;
  }

  private _find(runId: string): IRunRow | undefined {
    return (
      this._page.find(row => row.run_id === runId) ??
      this._launched.find(row => row.run_id === runId)
    );
  }

  private _merged(row: IRunRow): IRunRow {
    const pushed = this._pushed.get(row.run_id);
    if (pushed && progress(pushed.state) > progress(row.state)) {
      return { ...row, state: pushed.state, state_name: pushed.name };
    }
    return { ...row };
  }

  private _page: IRunRow[] = [];
  private _launched: IRunRow[] = [];
  private _pushed = new Map<string, IStateEvent>();
  private _offset = 0;
}
