import { JupyterFrontEnd } from '@jupyterlab/application';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  ReactWidget,
  historyIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import {
  INotebookRun,
  ISchedule,
  listSchedules,
  notebookRuns
} from '../api/schedules';
import { CommandIDs } from '../commands';
import { describeCron } from './cron';
import { runsOfSchedule } from './runs';

/**
 * How often the list refreshes by itself while it is visible (next runs move, runs finish).
 */
const REFRESH_INTERVAL_MS = 30_000;

/**
 * The Schedules section: the user's notebook schedules (an admin's: everyone's, with their
 * owner), each with its cron in words, time zone, next run, Pause/Resume, Delete and its
 * latest runs; every action goes through the schedule commands.
 */
export class SchedulesSection extends ReactWidget {
  constructor(
    private readonly _commands: JupyterFrontEnd['commands'],
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-lakebook-Schedules');
    this.title.label = _trans.__('Schedules');
    this.title.caption = _trans.__('Notebooks run on a schedule');
    this.title.icon = historyIcon;
  }

  /**
   * Whether the signed-in user sees everyone's schedules (the owner is then shown).
   */
  set showOwners(value: boolean) {
    this._showOwners = value;
    this.update();
  }

  /**
   * Reload the schedules and the latest notebook runs.
   */
  async refresh(): Promise<void> {
    this._loading = true;
    this.update();
    try {
      const [schedules, runs] = await Promise.all([
        listSchedules(),
        // The runs only decorate the list: without them it still shows the schedules.
        notebookRuns().catch(() => [] as INotebookRun[])
      ]);
      this._schedules = schedules;
      this._runs = runs;
      this._error = '';
    } catch (error) {
      this._error = (error as Error).message;
    } finally {
      this._loading = false;
      this._loaded = true;
      this.update();
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    void this.refresh();
    this._timer = window.setInterval(() => {
      if (this.isVisible && !this._loading) {
        void this.refresh();
      }
    }, REFRESH_INTERVAL_MS);
  }

  protected onBeforeDetach(msg: Message): void {
    window.clearInterval(this._timer);
    super.onBeforeDetach(msg);
  }

  render(): JSX.Element {
    const trans = this._trans;
    const owners =
      this._showOwners ||
      new Set(this._schedules.map(schedule => schedule.owner)).size > 1;
    return (
      <div className="jp-lakebook-Schedules-body">
        <div className="jp-lakebook-Schedules-toolbar">
          <Button
            className="jp-lakebook-Schedules-new"
            minimal
            small
            onClick={() =>
              void this._commands.execute(CommandIDs.scheduleNotebook)
            }
          >
            {trans.__('New schedule…')}
          </Button>
          <Button
            className="jp-lakebook-Schedules-refresh"
            minimal
            small
            aria-label={trans.__('Refresh the schedules')}
            title={trans.__('Refresh the schedules')}
            disabled={this._loading}
            onClick={() => void this.refresh()}
          >
            <refreshIcon.react tag="span" />
          </Button>
        </div>
        {this._error && (
          <p className="jp-lakebook-Schedules-error" role="alert">
            {this._error}
          </p>
        )}
        {this._loaded && !this._error && this._schedules.length === 0 && (
          <p className="jp-lakebook-Schedules-empty">
            {trans.__(
              'No schedules yet. Use Schedule in a notebook’s toolbar or a notebook’s context menu in the file browser.'
            )}
          </p>
        )}
        <ul
          className="jp-lakebook-Schedules-list"
          aria-label={trans.__('Schedules')}
          aria-busy={this._loading}
        >
          {this._schedules.map(schedule =>
            this._renderSchedule(schedule, owners)
          )}
        </ul>
      </div>
    );
  }

  private _renderSchedule(schedule: ISchedule, owners: boolean): JSX.Element {
    const trans = this._trans;
    const words = describeCron(schedule.cron);
    const runs = runsOfSchedule(schedule, this._runs);
    const canOpenRun = this._commands.hasCommand(CommandIDs.openRun);
    const toggle = schedule.active
      ? CommandIDs.pauseSchedule
      : CommandIDs.resumeSchedule;
    const args = { id: schedule.id, name: schedule.name };
    return (
      <li
        key={schedule.id}
        className="jp-lakebook-Schedules-item"
        data-schedule={schedule.id}
        data-active={schedule.active ? 'true' : 'false'}
        aria-label={trans.__('Schedule %1', schedule.name)}
      >
        <div className="jp-lakebook-Schedules-head">
          <span className="jp-lakebook-Schedules-name">{schedule.name}</span>
          <span
            className="jp-lakebook-Schedules-state"
            data-active={schedule.active ? 'true' : 'false'}
          >
            {schedule.active ? trans.__('Active') : trans.__('Paused')}
          </span>
        </div>
        <dl className="jp-lakebook-Schedules-details">
          {owners && (
            <>
              <dt>{trans.__('Owner')}</dt>
              <dd className="jp-lakebook-Schedules-owner">{schedule.owner}</dd>
            </>
          )}
          <dt>{trans.__('Notebook')}</dt>
          <dd className="jp-lakebook-Schedules-notebook">
            {schedule.notebook}
          </dd>
          {Object.keys(schedule.parameters).length > 0 && (
            <>
              <dt>{trans.__('Parameters')}</dt>
              <dd className="jp-lakebook-Schedules-parameters">
                <code>{formatParameters(schedule.parameters)}</code>
              </dd>
            </>
          )}
          <dt>{trans.__('When')}</dt>
          <dd className="jp-lakebook-Schedules-cron">
            {words.ok ? words.text : schedule.cron} <code>{schedule.cron}</code>{' '}
            <span className="jp-lakebook-Schedules-timezone">
              ({schedule.timezone})
            </span>
          </dd>
          <dt>{trans.__('Next run')}</dt>
          <dd className="jp-lakebook-Schedules-next">
            {schedule.active && schedule.next_run_at
              ? formatTime(schedule.next_run_at)
              : '—'}
          </dd>
        </dl>
        {runs.length > 0 && (
          <ul
            className="jp-lakebook-Schedules-runs"
            aria-label={trans.__('Latest runs of %1', schedule.name)}
          >
            {runs.map(run => (
              <li key={run.run_id} data-state={run.state}>
                <button
                  className="jp-lakebook-Schedules-run"
                  disabled={!canOpenRun}
                  title={trans.__('Open run %1', run.run_id)}
                  onClick={() =>
                    void this._commands.execute(CommandIDs.openRun, {
                      runId: run.run_id
                    })
                  }
                >
                  <span className="jp-lakebook-Schedules-runState">
                    {run.state_name}
                  </span>{' '}
                  {formatTime(run.start_time ?? run.created_at)}
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="jp-lakebook-Schedules-actions">
          <Button
            className="jp-lakebook-Schedules-toggle"
            small
            minimal
            aria-label={
              schedule.active
                ? trans.__('Pause %1', schedule.name)
                : trans.__('Resume %1', schedule.name)
            }
            onClick={() => void this._commands.execute(toggle, args)}
          >
            {schedule.active ? trans.__('Pause') : trans.__('Resume')}
          </Button>
          <Button
            className="jp-lakebook-Schedules-delete"
            small
            minimal
            aria-label={trans.__('Delete %1', schedule.name)}
            onClick={() =>
              void this._commands.execute(CommandIDs.deleteSchedule, args)
            }
          >
            {trans.__('Delete')}
          </Button>
        </div>
      </li>
    );
  }

  private _schedules: ISchedule[] = [];
  private _runs: INotebookRun[] = [];
  private _error = '';
  private _loading = false;
  private _loaded = false;
  private _showOwners = false;
  private _timer = 0;
}

function formatParameters(parameters: Record<string, unknown>): string {
  return Object.entries(parameters)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(', ');
}

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, {
        dateStyle: 'medium',
        timeStyle: 'short'
      });
}
