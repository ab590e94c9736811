/**
 * The run detail view: what ran, as whom, with which parameters, how it went (state, times,
 * history, failure reason), its log as it streams, and what it published.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import { dispatchRunEvent, openRunEvents } from '../api/events';
import { fetchAllLogs, fetchResult, fetchRun, fetchStates } from '../api/runs';
import { RunFollower, StreamError } from '../model/runFollower';
import { formatBytes, previewColumns } from '../lake/format';
import { PreviewTable, SchemaTable } from '../lake/ResultTables';
import { isTerminal } from '../model/runStates';
import { ILogLine, IRunDetail, IRunResult, IStateChange } from '../tokens';
import {
  failureReason,
  filterLogs,
  formatDuration,
  formatParameter,
  LOG_LEVELS,
  mergeLogs,
  mergeStates,
  runDurationMs
} from './model';

/**
 * Rows of the published result shown in the preview table.
 */
export const PREVIEW_ROWS = 20;

/**
 * The actions the view's buttons run (commands, so the palette offers the same).
 */
export interface IRunActions {
  cancel(): Promise<void>;
  openInNotebook(): Promise<void>;
  /**
   * Open the executed notebook and report of a run_notebook run; null while not available.
   */
  openReport: (() => Promise<void>) | null;
}

export interface IRunDetailProps {
  runId: string;
  trans: TranslationBundle;
  actions: IRunActions;
  /**
   * Told of every change of the run and its result (titles, commands' enabled state).
   */
  onChange(run: IRunDetail | null, result: IRunResult | null): void;
}

const CLASS = 'jp-lakebook-RunDetail';

export function RunDetail(props: IRunDetailProps): JSX.Element {
  const { runId, trans, actions, onChange } = props;
  const [run, setRun] = React.useState<IRunDetail | null>(null);
  const [loadError, setLoadError] = React.useState<string | null>(null);
  const [logs, setLogs] = React.useState<ILogLine[]>([]);
  const [states, setStates] = React.useState<IStateChange[]>([]);
  const [result, setResult] = React.useState<IRunResult | null>(null);
  const [resultError, setResultError] = React.useState<string | null>(null);
  const [streamNotice, setStreamNotice] = React.useState<string | null>(null);
  const [following, setFollowing] = React.useState(true);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const now = useTicking(
    run !== null && !isTerminal(run.state) && !!run.start_time
  );

  React.useEffect(() => onChange(run, result), [run, result]);

  React.useEffect(() => {
    const abort = new AbortController();
    const alive = () => !abort.signal.aborted;
    const reloadRun = async (): Promise<IRunDetail | null> => {
      try {
        const fresh = await fetchRun(runId);
        if (alive()) {
          setRun(fresh);
          setLoadError(null);
        }
        return fresh;
      } catch (error) {
        if (alive()) {
          setLoadError((error as Error).message);
        }
        return null;
      }
    };
    const loadResult = async (): Promise<void> => {
      try {
        const published = await fetchResult(runId, PREVIEW_ROWS);
        if (alive()) {
          setResult(published);
          setResultError(null);
        }
      } catch (error) {
        if (alive()) {
          setResultError((error as Error).message);
        }
      }
    };
    void (async () => {
      const first = await reloadRun();
      if (!first || !alive()) {
        return;
      }
      if (isTerminal(first.state)) {
        void loadResult();
      }
      try {
        const [history, lines] = await Promise.all([
          // The history is also replayed by the stream: its loss is not worth a notice.
          fetchStates(runId).catch(() => null),
          fetchAllLogs(runId)
        ]);
        if (alive()) {
          setStates(current => (history ?? []).reduce(mergeStates, current));
          setLogs(current => mergeLogs(current, lines));
        }
      } catch (error) {
        if (alive()) {
          setStreamNotice((error as Error).message);
        }
      }
      if (!alive()) {
        return;
      }
      // Followed even when the run is over: the stream replays its states (the history).
      // The panel's follower, for one run: it reconnects with back-off while the run has not
      // sent its `end`, and stops at `end` or when the server does not know the run.
      const follower = new RunFollower({
        openStream: openRunEvents,
        onEvent: (_runId, event) =>
          dispatchRunEvent(event, {
            onState: change => {
              setStates(current => mergeStates(current, change));
              setStreamNotice(null);
              void reloadRun();
            },
            onLog: line => setLogs(current => mergeLogs(current, [line])),
            onError: message => setStreamNotice(message),
            onEnd: () => {
              setFollowing(false);
              void reloadRun().then(ended => {
                if (ended && isTerminal(ended.state) && alive()) {
                  void loadResult();
                }
              });
            }
          }),
        onUnavailable: () => {
          setFollowing(false);
          setStreamNotice(
            trans.__(
              'Live events are not available from this server: reopen the run to see new lines.'
            )
          );
        },
        onStreamError: (_runId, error) => {
          if (error instanceof StreamError && error.kind === 'gone') {
            setFollowing(false);
            setStreamNotice(error.message);
          } else {
            setStreamNotice(
              trans.__(
                'event stream interrupted: %1 (reconnecting)',
                (error as Error).message ?? String(error)
              )
            );
          }
        }
      });
      abort.signal.addEventListener('abort', () => follower.dispose());
      follower.follow([runId]);
    })();
    return () => abort.abort();
  }, [runId]);

  const act = async (action: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setNotice(null);
    try {
      await action();
    } catch (error) {
      setNotice((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (!run) {
    return (
      <div className={CLASS}>
        {loadError ? (
          <div className={`${CLASS}-error`} role="alert">
            {loadError}
          </div>
        ) : (
          <div className={`${CLASS}-loading`}>
            {trans.__('Loading run %1…', runId)}
          </div>
        )}
      </div>
    );
  }

  const terminal = isTerminal(run.state);
  const duration = runDurationMs(run, now);
  const reason = failureReason(run, states) ?? lastErrorLine(run, logs);
  return (
    <div className={CLASS} data-run-id={run.run_id} data-state={run.state}>
      <header className={`${CLASS}-header`}>
        <h2 className={`${CLASS}-flow`}>{run.flow_name}</h2>
        <StateBadge state={run.state} name={run.state_name} />
        <div className={`${CLASS}-actions`}>
          <Button
            className={`${CLASS}-cancel`}
            small
            disabled={terminal || busy}
            title={
              terminal
                ? trans.__('The run has ended')
                : trans.__('Ask the gateway to cancel this run')
            }
            onClick={() => void act(actions.cancel)}
          >
            {trans.__('Cancel')}
          </Button>
          <Button
            className={`${CLASS}-openNotebook`}
            small
            disabled={!result || busy}
            title={
              result
                ? trans.__('Query the published dataset in a notebook')
                : trans.__('The run has not published a dataset')
            }
            onClick={() => void act(actions.openInNotebook)}
          >
            {trans.__('Open in notebook')}
          </Button>
          {run.flow_name === 'run_notebook' && (
            <Button
              className={`${CLASS}-openReport`}
              small
              disabled={!actions.openReport || busy || !isTerminal(run.state)}
              title={
                isTerminal(run.state)
                  ? trans.__('Open the executed notebook and its HTML report')
                  : trans.__('The report is published when the run ends')
              }
              onClick={() => actions.openReport && void act(actions.openReport)}
            >
              {trans.__('Open report')}
            </Button>
          )}
        </div>
      </header>
      {notice && (
        <div className={`${CLASS}-notice`} role="alert">
          {notice}
        </div>
      )}
      {loadError && (
        <div className={`${CLASS}-error`} role="alert">
          {loadError}
        </div>
      )}
      {reason && (
        <section className={`${CLASS}-failure`} role="alert">
          <h3>{trans.__('Why it ended')}</h3>
          <pre>{reason}</pre>
        </section>
      )}
      <section className={`${CLASS}-summary`}>
        <dl>
          <dt>{trans.__('Run')}</dt>
          <dd className={`${CLASS}-runId`}>{run.run_id}</dd>
          <dt>{trans.__('Owner')}</dt>
          <dd className={`${CLASS}-owner`}>{run.owner}</dd>
          <dt>{trans.__('Created')}</dt>
          <dd>{formatTime(run.created_at)}</dd>
          <dt>{trans.__('Started')}</dt>
          <dd>
            {run.start_time ? formatTime(run.start_time) : trans.__('not yet')}
          </dd>
          <dt>{trans.__('Ended')}</dt>
          <dd>{run.end_time ? formatTime(run.end_time) : '–'}</dd>
          <dt>{trans.__('Duration')}</dt>
          <dd className={`${CLASS}-duration`}>
            {duration === null ? '–' : formatDuration(duration)}
            {!terminal && duration !== null && ` ${trans.__('(running)')}`}
          </dd>
        </dl>
      </section>
      {result && <ResultView result={result} trans={trans} />}
      {resultError && (
        <div className={`${CLASS}-error`} role="alert">
          {trans.__('Could not read the result: %1', resultError)}
        </div>
      )}
      <Parameters parameters={run.parameters} trans={trans} />
      <StateHistory states={states} trans={trans} />
      <LogView
        lines={logs}
        following={following}
        notice={streamNotice}
        trans={trans}
      />
    </div>
  );
}

function StateBadge(props: { state: string; name: string }): JSX.Element {
  return (
    <span className={`${CLASS}-state`} data-state={props.state}>
      {props.name}
    </span>
  );
}

function Parameters(props: {
  parameters: Record<string, unknown>;
  trans: TranslationBundle;
}): JSX.Element {
  const entries = Object.entries(props.parameters ?? {});
  return (
    <section className={`${CLASS}-parameters`}>
      <h3>{props.trans.__('Parameters')}</h3>
      {entries.length === 0 ? (
        <p className={`${CLASS}-empty`}>
          {props.trans.__('No parameters (defaults)')}
        </p>
      ) : (
        <dl>
          {entries.map(([name, value]) => (
            <React.Fragment key={name}>
              <dt>{name}</dt>
              <dd>
                {typeof value === 'object' && value !== null ? (
                  <pre>{formatParameter(value)}</pre>
                ) : (
                  <code>{formatParameter(value)}</code>
                )}
              </dd>
            </React.Fragment>
          ))}
        </dl>
      )}
    </section>
  );
}

function StateHistory(props: {
  states: IStateChange[];
  trans: TranslationBundle;
}): JSX.Element | null {
  if (props.states.length === 0) {
    return null;
  }
  return (
    <section className={`${CLASS}-history`}>
      <h3>{props.trans.__('State history')}</h3>
      <ol>
        {props.states.map(change => (
          <li key={`${change.state}-${change.timestamp}`}>
            <StateBadge state={change.state} name={change.name} />
            <time dateTime={change.timestamp}>
              {formatTime(change.timestamp)}
            </time>
            {change.message && (
              <span className={`${CLASS}-stateMessage`}>{change.message}</span>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

function ResultView(props: {
  result: IRunResult;
  trans: TranslationBundle;
}): JSX.Element {
  const { result, trans } = props;
  return (
    <section className={`${CLASS}-result`}>
      <h3>{trans.__('Published result')}</h3>
      <dl>
        <dt>{trans.__('Dataset')}</dt>
        <dd className={`${CLASS}-dataset`}>
          <code>lake.{result.dataset}</code>
        </dd>
        <dt>{trans.__('Rows')}</dt>
        <dd className={`${CLASS}-rowCount`}>
          {result.row_count.toLocaleString()}
        </dd>
        <dt>{trans.__('Size')}</dt>
        <dd>{formatBytes(result.bytes)}</dd>
        {result.download_url && (
          <>
            <dt>{trans.__('Download')}</dt>
            <dd>
              <a
                className={`${CLASS}-download`}
                href={result.download_url}
                download={`${result.dataset}.parquet`}
                target="_blank"
                rel="noopener noreferrer"
              >
                {trans.__('Parquet file')}
              </a>
            </dd>
          </>
        )}
      </dl>
      <h4>{trans.__('Schema')}</h4>
      <SchemaTable
        className={`${CLASS}-schema`}
        columns={result.columns}
        order={previewColumns(result.columns, result.preview)}
        trans={trans}
      />
      <h4>
        {trans.__(
          'First %1 of %2 rows',
          result.preview.length,
          result.row_count.toLocaleString()
        )}
      </h4>
      <div className={`${CLASS}-previewScroll`}>
        <PreviewTable className={`${CLASS}-preview`} result={result} />
      </div>
    </section>
  );
}

function LogView(props: {
  lines: ILogLine[];
  following: boolean;
  notice: string | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const [minLevel, setMinLevel] = React.useState('DEBUG');
  const [stick, setStick] = React.useState(true);
  const scroller = React.useRef<HTMLDivElement>(null);
  const shown = filterLogs(props.lines, minLevel);

  React.useLayoutEffect(() => {
    const node = scroller.current;
    if (stick && node) {
      node.scrollTop = node.scrollHeight;
    }
  }, [shown.length, stick]);

  const onScroll = () => {
    const node = scroller.current;
    if (node) {
      // Scrolling up stops the auto-scroll; back at the bottom resumes it.
      setStick(node.scrollHeight - node.scrollTop - node.clientHeight < 8);
    }
  };

  return (
    <section className={`${CLASS}-logs`}>
      <div className={`${CLASS}-logsBar`}>
        <h3>{trans.__('Logs')}</h3>
        <span className={`${CLASS}-following`}>
          {props.following ? trans.__('following live') : trans.__('complete')}
        </span>
        <label>
          {trans.__('Level')}{' '}
          <HTMLSelect
            className={`${CLASS}-level`}
            value={minLevel}
            onChange={event => setMinLevel(event.currentTarget.value)}
            options={LOG_LEVELS.map(level => ({
              value: level,
              label:
                level === 'DEBUG'
                  ? trans.__('All')
                  : trans.__('%1 and above', level)
            }))}
          />
        </label>
        {!stick && (
          <Button small minimal onClick={() => setStick(true)}>
            {trans.__('Jump to latest')}
          </Button>
        )}
      </div>
      {props.notice && (
        <div className={`${CLASS}-streamNotice`}>{props.notice}</div>
      )}
      <div className={`${CLASS}-logLines`} ref={scroller} onScroll={onScroll}>
        {shown.length === 0 ? (
          <div className={`${CLASS}-empty`}>
            {props.lines.length === 0
              ? trans.__('No log lines yet')
              : trans.__('No lines at this level')}
          </div>
        ) : (
          shown.map((line, index) => (
            <div
              key={index}
              className={`${CLASS}-logLine`}
              data-level={line.level.toUpperCase()}
            >
              <time dateTime={line.timestamp}>
                {formatClock(line.timestamp)}
              </time>
              <span className={`${CLASS}-logLevel`}>{line.level}</span>
              <span className={`${CLASS}-logLogger`}>{line.logger}</span>
              <span className={`${CLASS}-logMessage`}>{line.message}</span>
            </div>
          ))
        )}
      </div>
    </section>
  );
}

/**
 * Re-render every second while `active` (the running duration); returns the current time.
 */
function useTicking(active: boolean): number {
  const [now, setNow] = React.useState(Date.now());
  React.useEffect(() => {
    if (!active) {
      return;
    }
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return active ? now : Date.now();
}

/**
 * For a failed run whose states carry no message: its last ERROR line.
 */
function lastErrorLine(run: IRunDetail, logs: ILogLine[]): string | null {
  if (!['FAILED', 'CRASHED'].includes(run.state)) {
    return null;
  }
  const errors = filterLogs(logs, 'ERROR');
  return errors.length ? errors[errors.length - 1].message : null;
}

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function formatClock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}
