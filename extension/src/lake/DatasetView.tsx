import { MainAreaWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { getDataset, IDatasetDetail } from '../api/lake';
import { fetchResult } from '../api/runs';
import { IRunResult } from '../tokens';
import { PreviewTable, SchemaTable } from './ResultTables';
import { formatBytes, formatRows, formatTimestamp } from './format';
import { lakeIcon } from './icon';
import { describeInput } from './lineage';

/**
 * Rows of the preview a dataset's detail shows.
 */
export const PREVIEW_ROWS = 20;

export interface IDatasetViewOptions {
  trans: TranslationBundle;
  name: string;
  queryInNotebook: (dataset: string) => void;
  openDataset: (dataset: string) => void;
  /**
   * Opens a run's detail; absent while no plugin registers `CommandIDs.openRun`.
   */
  openRun?: (runId: string) => void;
}

/**
 * A dataset's detail in the main area: schema, size, owner, lineage, runs and first rows.
 */
export function createDatasetView(
  options: IDatasetViewOptions
): MainAreaWidget<ReactWidget> {
  const content = ReactWidget.create(<DatasetDetail {...options} />);
  content.addClass('jp-lakebook-DatasetView');
  const widget = new MainAreaWidget({ content });
  widget.id = datasetViewId(options.name);
  widget.title.label = options.name;
  widget.title.caption = options.trans.__('Dataset %1', options.name);
  widget.title.icon = lakeIcon;
  widget.title.closable = true;
  return widget;
}

export function datasetViewId(name: string): string {
  return `lakebook-dataset-${name}`;
}

function DatasetDetail(props: IDatasetViewOptions): JSX.Element {
  const { trans, name } = props;
  const [detail, setDetail] = React.useState<IDatasetDetail | null>(null);
  const [result, setResult] = React.useState<IRunResult | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [previewError, setPreviewError] = React.useState<string | null>(null);

  const load = React.useCallback(async () => {
    setError(null);
    setPreviewError(null);
    let loaded: IDatasetDetail;
    try {
      loaded = await getDataset(name);
      setDetail(loaded);
    } catch (reason) {
      setError((reason as Error).message);
      return;
    }
    try {
      // The latest run of a listed dataset has published: null (a 404) only if it went away.
      setResult(await fetchResult(loaded.latest_run_id, PREVIEW_ROWS));
    } catch (reason) {
      setResult(null);
      setPreviewError((reason as Error).message);
    }
  }, [name]);

  React.useEffect(() => void load(), [load]);

  return (
    <div className="jp-lakebook-DatasetView-body">
      <header className="jp-lakebook-DatasetView-header">
        <h2 className="jp-lakebook-DatasetView-title">{name}</h2>
        <Button
          className="jp-lakebook-DatasetView-query jp-mod-styled jp-mod-accept"
          onClick={() => props.queryInNotebook(name)}
        >
          {trans.__('Query in notebook')}
        </Button>
        <Button
          minimal
          title={trans.__('Reload')}
          aria-label={trans.__('Reload')}
          onClick={() => void load()}
        >
          <refreshIcon.react tag="span" />
        </Button>
      </header>
      {error && (
        <div className="jp-lakebook-Lake-error" role="alert">
          {error}
        </div>
      )}
      {detail && (
        <>
          <Summary trans={trans} detail={detail} openRun={props.openRun} />
          <Rejects trans={trans} detail={detail} />
          <Lineage
            trans={trans}
            detail={detail}
            openRun={props.openRun}
            openDataset={props.openDataset}
          />
          <Schema trans={trans} columns={detail.columns} />
        </>
      )}
      <section className="jp-lakebook-DatasetView-preview">
        <h3>{trans.__('First rows')}</h3>
        {previewError && (
          <div className="jp-lakebook-Lake-error" role="alert">
            {previewError}
          </div>
        )}
        {result && <Preview trans={trans} result={result} />}
      </section>
    </div>
  );
}

function RunLink(props: {
  runId: string;
  openRun?: (runId: string) => void;
  label?: string;
}): JSX.Element {
  const label = props.label ?? props.runId;
  if (!props.openRun) {
    return <code title={props.runId}>{label}</code>;
  }
  return (
    <button
      type="button"
      className="jp-lakebook-DatasetView-link"
      data-run={props.runId}
      title={props.runId}
      onClick={() => props.openRun?.(props.runId)}
    >
      {label}
    </button>
  );
}

function Summary(props: {
  trans: TranslationBundle;
  detail: IDatasetDetail;
  openRun?: (runId: string) => void;
}): JSX.Element {
  const { trans, detail } = props;
  const latest = detail.runs[0];
  return (
    <dl className="jp-lakebook-DatasetView-summary">
      <dt>{trans.__('Rows')}</dt>
      <dd className="jp-lakebook-DatasetView-rows">
        {formatRows(detail.row_count)}
      </dd>
      <dt>{trans.__('Size')}</dt>
      <dd>{formatBytes(detail.bytes)}</dd>
      <dt>{trans.__('Columns')}</dt>
      <dd>{Object.keys(detail.columns).length}</dd>
      <dt>{trans.__('Owner')}</dt>
      <dd className="jp-lakebook-DatasetView-owner">
        {detail.owner ?? trans.__('nobody (admins publish)')}
      </dd>
      <dt>{trans.__('Made by')}</dt>
      <dd>
        {detail.flow_name ?? trans.__('unknown flow')}
        {detail.user && trans.__(' for %1', detail.user)}
        {', '}
        <RunLink runId={detail.latest_run_id} openRun={props.openRun} />
      </dd>
      {latest && (
        <>
          <dt>{trans.__('Published')}</dt>
          <dd>{formatTimestamp(latest.published_at)}</dd>
        </>
      )}
    </dl>
  );
}

/**
 * The rows the latest run left out, so a dataset shorter than its file is never a surprise:
 * how many, and where the first few were and why.
 */
function Rejects(props: {
  trans: TranslationBundle;
  detail: IDatasetDetail;
}): JSX.Element | null {
  const { trans, detail } = props;
  const count = detail.rows_rejected ?? 0;
  if (count === 0) {
    return null;
  }
  const sample = detail.reject_sample ?? [];
  return (
    <section
      className="jp-lakebook-DatasetView-rejects"
      aria-label={trans.__('Rejected rows')}
    >
      <h3>{trans._n('%1 row rejected', '%1 rows rejected', count)}</h3>
      <ul>
        {sample.map(rejected => (
          <li key={rejected.row} data-row={rejected.row}>
            <span className="jp-lakebook-DatasetView-rejectWhere">
              {rejected.line !== null
                ? trans.__('line %1', rejected.line)
                : trans.__('row %1', rejected.row)}
            </span>
            {': '}
            {rejected.reason}
          </li>
        ))}
      </ul>
      {sample.length < count && (
        <p className="jp-lakebook-Lake-empty">
          {trans.__('The first %1 are shown.', sample.length)}
        </p>
      )}
    </section>
  );
}

function Lineage(props: {
  trans: TranslationBundle;
  detail: IDatasetDetail;
  openRun?: (runId: string) => void;
  openDataset: (dataset: string) => void;
}): JSX.Element {
  const { trans, detail } = props;
  return (
    <section className="jp-lakebook-DatasetView-lineage">
      <h3>{trans.__('Lineage')}</h3>
      <h4>{trans.__('Inputs')}</h4>
      {detail.inputs.length === 0 ? (
        <p className="jp-lakebook-Lake-empty">{trans.__('None recorded.')}</p>
      ) : (
        <ul className="jp-lakebook-DatasetView-inputs">
          {detail.inputs.map(key => {
            const input = describeInput(key);
            return (
              <li key={key} data-kind={input.kind}>
                {input.kind === 'dataset' ? (
                  <>
                    <button
                      type="button"
                      className="jp-lakebook-DatasetView-link"
                      onClick={() => props.openDataset(input.dataset)}
                    >
                      {input.dataset}
                    </button>
                    {trans.__(' at run ')}
                    <RunLink
                      runId={input.runId}
                      openRun={props.openRun}
                      label={input.runId.slice(0, 8)}
                    />
                  </>
                ) : (
                  <>
                    {input.kind === 'upload' && trans.__('upload ')}
                    <code>{key}</code>
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <h4>{trans._n('%1 run', '%1 runs', detail.runs.length)}</h4>
      <ol className="jp-lakebook-DatasetView-runs">
        {detail.runs.map(run => (
          <li key={run.run_id}>
            <RunLink runId={run.run_id} openRun={props.openRun} />
            <span className="jp-lakebook-DatasetView-when">
              {formatTimestamp(run.published_at)}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}

function Schema(props: {
  trans: TranslationBundle;
  columns: Record<string, string>;
}): JSX.Element {
  const { trans } = props;
  return (
    <section className="jp-lakebook-DatasetView-schema">
      <h3>{trans.__('Schema')}</h3>
      <SchemaTable
        className="jp-lakebook-Table"
        columns={props.columns}
        trans={trans}
      />
    </section>
  );
}

function Preview(props: {
  trans: TranslationBundle;
  result: IRunResult;
}): JSX.Element {
  const { trans, result } = props;
  return (
    <>
      <p className="jp-lakebook-DatasetView-previewNote">
        {trans.__(
          '%1 of %2',
          formatRows(result.preview.length),
          formatRows(result.row_count)
        )}
      </p>
      <div className="jp-lakebook-DatasetView-tableScroll">
        <PreviewTable
          className="jp-lakebook-Table jp-lakebook-DatasetView-rowsTable"
          result={result}
        />
      </div>
    </>
  );
}
