import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import { ReadonlyJSONObject } from '@lumino/coreutils';
import { ErrorSchema, RJSFSchema } from '@rjsf/utils';
import * as React from 'react';

import { openRunEvents } from '../api/events';
import { getRun, IRunState, IUploadOut } from '../api/lake';
import { LakebookResponseError } from '../api/request';
import { launchFlow, listDeployments } from '../api/runs';
import { toErrorSchema } from '../form/fieldErrors';
import { ParametersForm } from '../form/ParametersForm';
import { INGEST_FLOW, ingestFormData } from './ingestPrefill';
import { followRunToEnd, RunProgress } from '../model/followRun';

export interface IIngestFormProps {
  trans: TranslationBundle;
  upload: IUploadOut;
  filename: string;
  /**
   * Called once the ingest run completed, with the dataset it published.
   */
  onIngested: (dataset: string) => void;
  onClose: () => void;
  onOpenRun?: (runId: string) => void;
}

type Phase =
  | { name: 'loading' }
  | { name: 'editing' }
  | { name: 'launching' }
  | { name: 'running'; run: RunProgress | null; runId: string }
  | { name: 'ended'; run: IRunState | null; runId: string };

/**
 * The `ingest_upload` launch form, pre-filled with the upload's key and a dataset name from
 * the file's name, followed by the run it launched until it ends (over its event stream, so
 * each state shows as it happens).
 */
export function IngestForm(props: IIngestFormProps): JSX.Element {
  const { trans, upload, filename } = props;
  const [schema, setSchema] = React.useState<RJSFSchema | null>(null);
  const [formData, setFormData] = React.useState<ReadonlyJSONObject>({});
  const [valid, setValid] = React.useState(true);
  const [extraErrors, setExtraErrors] = React.useState<ErrorSchema>();
  const [message, setMessage] = React.useState<string | null>(null);
  const [phase, setPhase] = React.useState<Phase>({ name: 'loading' });
  // Aborted when the form goes away: stops following the run, and late answers are dropped.
  const shown = React.useRef(new AbortController());
  const mounted = () => !shown.current.signal.aborted;

  React.useEffect(() => {
    shown.current = new AbortController();
    listDeployments()
      .then(deployments => {
        const ingest = deployments.find(d => d.name === INGEST_FLOW);
        if (!mounted()) {
          return;
        }
        if (!ingest) {
          setMessage(
            trans.__('The gateway has no %1 deployment.', INGEST_FLOW)
          );
          return;
        }
        setSchema(ingest.parameters_schema as RJSFSchema);
        setFormData(
          ingestFormData(
            ingest.parameters_schema,
            upload,
            filename
          ) as ReadonlyJSONObject
        );
        setPhase({ name: 'editing' });
      })
      .catch(error => mounted() && setMessage(String(error.message)));
    return () => {
      shown.current.abort();
    };
  }, [upload.key]);

  const launch = async (data: ReadonlyJSONObject) => {
    setPhase({ name: 'launching' });
    setMessage(null);
    setExtraErrors(undefined);
    let runId: string;
    try {
      runId = (await launchFlow(INGEST_FLOW, data as Record<string, unknown>))
        .run_id;
    } catch (error) {
      if (mounted()) {
        const fields =
          error instanceof LakebookResponseError ? error.fields : [];
        const placed = toErrorSchema(fields);
        setExtraErrors(placed.errorSchema);
        setMessage([(error as Error).message, ...placed.unplaced].join('; '));
        setPhase({ name: 'editing' });
      }
      return;
    }
    if (!mounted()) {
      return;
    }
    setPhase({ name: 'running', run: null, runId });
    const ended = await followRunToEnd({
      runId,
      read: () => getRun(runId),
      openStream: openRunEvents,
      onRun: run => mounted() && setPhase({ name: 'running', run, runId }),
      signal: shown.current.signal
    });
    if (!mounted()) {
      return;
    }
    setPhase({ name: 'ended', run: ended, runId });
    if (ended?.state === 'COMPLETED') {
      props.onIngested(String(data.dataset ?? ''));
    } else if (!ended) {
      setMessage(trans.__('Stopped following run %1 before it ended.', runId));
    }
  };

  const editing = phase.name === 'editing';
  const run = 'run' in phase ? phase.run : null;
  return (
    <section
      className="jp-lakebook-Lake-ingestForm"
      aria-label={trans.__('Ingest %1', filename)}
    >
      <h4 className="jp-lakebook-Lake-subtitle">
        {trans.__('Ingest %1', filename)}
      </h4>
      {schema && (
        <ParametersForm
          label={trans.__('Parameters of %1', INGEST_FLOW)}
          schema={schema}
          formData={formData}
          extraErrors={extraErrors}
          disabled={!editing}
          onChange={(data, errors) => {
            setFormData(data);
            setValid(errors.length === 0);
          }}
          onSubmit={data => editing && launch(data)}
        />
      )}
      {message && (
        <div className="jp-lakebook-Lake-error" role="alert">
          {message}
        </div>
      )}
      {'runId' in phase && (
        <div
          className="jp-lakebook-Lake-ingestRun"
          role="status"
          data-state={run?.state ?? 'PENDING'}
        >
          {trans.__('Run %1: ', phase.runId.slice(0, 8))}
          <span className="jp-lakebook-Lake-runState">
            {run?.state_name ?? trans.__('Scheduled')}
          </span>
          {props.onOpenRun && (
            <Button
              small
              minimal
              onClick={() => props.onOpenRun?.(phase.runId)}
            >
              {trans.__('Details')}
            </Button>
          )}
        </div>
      )}
      <div className="jp-lakebook-Lake-actions">
        {phase.name !== 'ended' && (
          <Button
            className="jp-lakebook-Lake-launch jp-mod-styled jp-mod-accept"
            disabled={!editing || !valid}
            onClick={() => launch(formData)}
          >
            {trans.__('Launch')}
          </Button>
        )}
        <Button
          minimal
          className="jp-lakebook-Lake-close"
          onClick={props.onClose}
          disabled={phase.name === 'launching'}
        >
          {phase.name === 'ended' ? trans.__('Close') : trans.__('Cancel')}
        </Button>
      </div>
    </section>
  );
}
