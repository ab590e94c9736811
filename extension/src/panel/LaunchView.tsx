import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import { ReadonlyJSONObject } from '@lumino/coreutils';
import { ErrorSchema, RJSFSchema } from '@rjsf/utils';
import * as React from 'react';

import { CommandIDs } from '../commands';
import { toErrorSchema } from '../form/fieldErrors';
import { ParametersForm, validateParameters } from '../form/ParametersForm';
import { LakebookResponseError } from '../api/request';
import { asParameterPaths } from '../model/fieldPaths';
import { IDeployment } from '../tokens';
import { IViewProps } from './HeaderView';
import { messageOf } from './model';
import { useModel } from './useModel';

/**
 * Launch a flow: pick it, read what it does, fill the form generated from its parameters
 * schema. Launch stays disabled while the form is invalid; the gateway's field errors land on
 * their fields, any other error is shown once, above the Launch button.
 */
export function LaunchView(props: IViewProps): JSX.Element {
  useModel(props.model);
  const { trans, commands, model } = props;
  const deployments = model.deployments ?? [];
  const [chosen, setChosen] = React.useState('');
  const [formData, setFormData] = React.useState<ReadonlyJSONObject>({});
  const [invalid, setInvalid] = React.useState(false);
  const [serverErrors, setServerErrors] = React.useState<ErrorSchema>();
  const [error, setError] = React.useState<string | null>(null);
  const [launched, setLaunched] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);

  const flow = pickFlow(deployments, chosen, model.settings.defaultFlow);
  const schema = (flow?.parameters_schema ?? {}) as RJSFSchema;

  // A new flow: a fresh form, checked at once (a required field without default disables
  // Launch before any edit).
  React.useEffect(() => {
    setFormData({});
    setServerErrors(undefined);
    setError(null);
    setInvalid(flow ? validateParameters(schema, {}).length > 0 : true);
  }, [flow?.name]);

  const launch = async () => {
    if (!flow) {
      return;
    }
    setBusy(true);
    setError(null);
    setServerErrors(undefined);
    setLaunched(null);
    try {
      const answer = (await commands.execute(CommandIDs.launchFlow, {
        flow: flow.name,
        parameters: formData
      })) as { run_id?: string } | undefined;
      setLaunched(answer?.run_id ?? null);
    } catch (reason) {
      const fields =
        reason instanceof LakebookResponseError ? reason.fields : [];
      const names = Object.keys(
        (schema.properties as Record<string, unknown> | undefined) ?? {}
      );
      const { errorSchema, unplaced } = toErrorSchema(
        asParameterPaths(fields, names)
      );
      setServerErrors(fields.length > 0 ? errorSchema : undefined);
      setError(
        unplaced.length > 0
          ? [messageOf(reason), ...unplaced].join('\n')
          : fields.length > 0
            ? null
            : messageOf(reason)
      );
    } finally {
      setBusy(false);
    }
  };

  if (model.deploymentsError && deployments.length === 0) {
    return (
      <div className="jp-lakebook-Launch">
        <div className="jp-lakebook-Error" role="alert">
          {model.deploymentsError}
        </div>
      </div>
    );
  }
  if (!flow) {
    return (
      <div className="jp-lakebook-Launch">
        <p className="jp-lakebook-Empty">
          {model.deployments === null
            ? trans.__('Loading flows…')
            : trans.__('The gateway offers no flows.')}
        </p>
      </div>
    );
  }

  return (
    <div className="jp-lakebook-Launch">
      <label className="jp-lakebook-Field">
        <span>{trans.__('Flow')}</span>
        <HTMLSelect
          className="jp-lakebook-Launch-flow"
          aria-label={trans.__('Flow to launch')}
          value={flow.name}
          onChange={event => setChosen(event.currentTarget.value)}
          options={deployments.map(d => d.name)}
        />
      </label>
      {flow.description && (
        <p className="jp-lakebook-Launch-description">{flow.description}</p>
      )}
      {flow.tags.length > 0 && (
        <ul className="jp-lakebook-Tags" aria-label={trans.__('Tags')}>
          {flow.tags.map(tag => (
            <li key={tag} className="jp-lakebook-Tag">
              {tag}
            </li>
          ))}
        </ul>
      )}
      <ParametersForm
        key={flow.name}
        label={trans.__('Parameters of %1', flow.name)}
        schema={schema}
        formData={formData}
        extraErrors={serverErrors}
        disabled={busy}
        compact
        onChange={(data, errors) => {
          setFormData(data);
          setInvalid(errors.length > 0);
          // An edit answers the server's complaint: show the schema's own checks again.
          setServerErrors(undefined);
        }}
        onSubmit={() => void launch()}
      />
      {error && (
        <div
          className="jp-lakebook-Error jp-lakebook-Launch-error"
          role="alert"
        >
          {error}
        </div>
      )}
      <div className="jp-lakebook-Launch-actions">
        <Button
          className="jp-lakebook-Launch-submit jp-lakebook-Primary"
          disabled={busy || invalid}
          title={invalid ? trans.__('Fix the fields marked in the form') : ''}
          onClick={() => void launch()}
        >
          {busy ? trans.__('Launching…') : trans.__('Launch')}
        </Button>
        {launched && (
          <span className="jp-lakebook-Launch-done" role="status">
            {trans.__('Launched run %1', launched.slice(0, 8))}
          </span>
        )}
      </div>
    </div>
  );
}

function pickFlow(
  deployments: IDeployment[],
  chosen: string,
  preferred: string
): IDeployment | undefined {
  return (
    deployments.find(d => d.name === chosen) ??
    deployments.find(d => d.name === preferred) ??
    deployments[0]
  );
}
