import { ISignal, Signal } from '@lumino/signaling';

import { openRunEvents } from '../api/events';
import { launchFlow, listDeployments, listRuns } from '../api/runs';
import { checkSession, signIn, signOut } from '../api/session';
import { GatewayMonitor, GatewayState, IUser } from '../model/gateway';
import { RunFollower } from '../model/runFollower';
import { StateFilter } from '../model/runStates';
import { RunsStore } from '../model/runsStore';
import { DEFAULT_SETTINGS, IPanelSettings } from '../settings';
import { IDeployment, ILaunched } from '../tokens';

/**
 * The state behind the side panel's sections: the gateway and session, the flows, and one
 * page of runs kept live. The React views render it and call its methods (through commands).
 */
export class PanelModel {
  constructor() {
    this._monitor = new GatewayMonitor({
      check: checkSession,
      intervalSeconds: this._settings.statusIntervalSeconds
    });
    this._monitor.onChange((state, previous) =>
      this._onGatewayChanged(state, previous)
    );
    this._follower = new RunFollower({
      openStream: openRunEvents,
      onEvent: (runId, event) =>
        this._onRunEvent(runId, event.event, event.data),
      onUnavailable: () => this._scheduleRuns()
    });
  }

  /**
   * Emitted whenever anything shown changes.
   */
  get changed(): ISignal<PanelModel, void> {
    return this._changed;
  }

  /**
   * Emitted when the user signs in or out, or the gateway comes back.
   */
  get sessionChanged(): ISignal<PanelModel, IUser | null> {
    return this._sessionChanged;
  }

  get gateway(): GatewayState {
    return this._monitor.state;
  }

  get user(): IUser | null {
    const state = this._monitor.state;
    return state.kind === 'signed-in' ? state.user : null;
  }

  get settings(): IPanelSettings {
    return this._settings;
  }

  get deployments(): IDeployment[] | null {
    return this._deployments;
  }

  get deploymentsError(): string | null {
    return this._deploymentsError;
  }

  get runs(): RunsStore {
    return this._runs;
  }

  get runsError(): string | null {
    return this._runsError;
  }

  get runsLoading(): boolean {
    return this._runsLoading;
  }

  get page(): {
    offset: number;
    limit: number;
    flow: string;
    state: StateFilter;
  } {
    return {
      offset: this._offset,
      limit: this._settings.runsPageSize,
      flow: this._flowFilter,
      state: this._stateFilter
    };
  }

  get hasNextPage(): boolean {
    return this._runs.pageLength >= this._settings.runsPageSize;
  }

  /**
   * Apply new settings (the settings editor changes them live).
   */
  setSettings(settings: IPanelSettings): void {
    const pageSizeChanged =
      settings.runsPageSize !== this._settings.runsPageSize;
    this._settings = settings;
    this._monitor.intervalSeconds = settings.statusIntervalSeconds;
    if (!settings.followRunsLive) {
      this._follower.follow([]);
    }
    if (pageSizeChanged) {
      this._offset = 0;
    }
    if (this.gateway.kind === 'signed-in') {
      void this.loadRuns();
    }
    this._changed.emit();
  }

  /**
   * Check the gateway and the session again, then reload what the panel shows.
   */
  async refresh(): Promise<void> {
    const state = await this._monitor.refresh();
    if (state.kind === 'signed-in') {
      await Promise.all([this.loadDeployments(), this.loadRuns()]);
    }
  }

  async signIn(username: string, password: string): Promise<void> {
    this._monitor.set(await signIn(username, password));
  }

  async signOut(): Promise<void> {
    await signOut();
    await this._monitor.refresh();
  }

  /**
   * Launch a flow; the new run is listed at once and followed. Rejects with the server's
   * error (a `LakebookResponseError` whose `fields` name bad parameters on a 422).
   */
  async launch(
    flowName: string,
    parameters: Record<string, unknown>
  ): Promise<ILaunched> {
    const launched = await launchFlow(flowName, parameters);
    this._runs.addLaunched({
      run_id: launched.run_id,
      flow_name: flowName,
      state: launched.state,
      state_name: launched.state,
      created_at: new Date().toISOString()
    });
    this._changed.emit();
    this._followActive();
    void this.loadRuns();
    return launched;
  }

  setFlowFilter(flow: string): void {
    this._flowFilter = flow;
    this._offset = 0;
    void this.loadRuns();
  }

  setStateFilter(filter: StateFilter): void {
    this._stateFilter = filter;
    this._changed.emit();
  }

  nextPage(): void {
    this._offset += this._settings.runsPageSize;
    void this.loadRuns();
  }

  previousPage(): void {
    this._offset = Math.max(0, this._offset - this._settings.runsPageSize);
    void this.loadRuns();
  }

  async loadDeployments(): Promise<void> {
    try {
      this._deployments = await listDeployments();
      this._deploymentsError = null;
    } catch (error) {
      this._deploymentsError = messageOf(error);
    }
    this._changed.emit();
  }

  async loadRuns(): Promise<void> {
    const generation = ++this._runsGeneration;
    this._runsLoading = true;
    this._changed.emit();
    try {
      const rows = await listRuns({
        limit: this._settings.runsPageSize,
        offset: this._offset,
        flow: this._flowFilter || undefined
      });
      if (generation !== this._runsGeneration) {
        return; // an answer to an older page or filter
      }
      this._runs.setPage(rows, this._offset);
      this._runsError = null;
    } catch (error) {
      if (generation !== this._runsGeneration) {
        return;
      }
      this._runsError = messageOf(error);
      // A network error may mean the gateway or the server went away: find out now.
      void this._monitor.refresh();
    }
    this._runsLoading = false;
    this._followActive();
    this._scheduleRuns();
    this._changed.emit();
  }

  /**
   * Start checking the gateway (and, once signed in, loading flows and runs).
   */
  start(): void {
    void this._monitor.refresh();
  }

  dispose(): void {
    this._monitor.dispose();
    this._follower.dispose();
    this._cancelRunsTimer();
    Signal.clearData(this);
  }

  private _onGatewayChanged(state: GatewayState, previous: GatewayState): void {
    const wasIn = previous.kind === 'signed-in';
    const isIn = state.kind === 'signed-in';
    if (isIn && (!wasIn || userKey(state) !== userKey(previous))) {
      void this.loadDeployments();
      void this.loadRuns();
      this._sessionChanged.emit(this.user);
    } else if (!isIn && wasIn) {
      this._follower.follow([]);
      this._cancelRunsTimer();
      this._sessionChanged.emit(null);
    }
    this._changed.emit();
  }

  private _onRunEvent(runId: string, kind: string, data: string): void {
    if (kind === 'state') {
      let payload: { state?: unknown; name?: unknown };
      try {
        payload = JSON.parse(data);
      } catch {
        return; // not an event of ours: ignore it rather than break the list
      }
      if (typeof payload.state === 'string') {
        const name =
          typeof payload.name === 'string' ? payload.name : payload.state;
        if (this._runs.applyEvent(runId, { state: payload.state, name })) {
          this._changed.emit();
        }
      }
    } else if (kind === 'end') {
      void this.loadRuns();
    }
  }

  private _followActive(): void {
    const live =
      this._settings.followRunsLive && this.gateway.kind === 'signed-in';
    this._follower.follow(live ? this._runs.activeRunIds() : []);
  }

  /**
   * The next reload of the list: soon while runs are active and no stream follows them,
   * else slowly (runs started elsewhere).
   */
  private _scheduleRuns(): void {
    this._cancelRunsTimer();
    if (this.gateway.kind !== 'signed-in') {
      return;
    }
    const polled =
      this._runs.activeRunIds().length > 0 &&
      (!this._settings.followRunsLive || !this._follower.available);
    const seconds = polled
      ? this._settings.livePollSeconds
      : this._settings.runsRefreshSeconds;
    this._runsTimer = setTimeout(() => void this.loadRuns(), seconds * 1000);
  }

  private _cancelRunsTimer(): void {
    if (this._runsTimer !== null) {
      clearTimeout(this._runsTimer);
      this._runsTimer = null;
    }
  }

  private _settings: IPanelSettings = DEFAULT_SETTINGS;
  private _monitor: GatewayMonitor;
  private _follower: RunFollower;
  private _runs = new RunsStore();
  private _deployments: IDeployment[] | null = null;
  private _deploymentsError: string | null = null;
  private _runsError: string | null = null;
  private _runsLoading = false;
  private _runsGeneration = 0;
  private _runsTimer: ReturnType<typeof setTimeout> | null = null;
  private _offset = 0;
  private _flowFilter = '';
  private _stateFilter: StateFilter = 'all';
  private _changed = new Signal<PanelModel, void>(this);
  private _sessionChanged = new Signal<PanelModel, IUser | null>(this);
}

function userKey(state: GatewayState): string {
  return state.kind === 'signed-in' ? JSON.stringify(state.user) : '';
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
