import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../commands';
import { isTerminal, STATE_FILTERS, StateFilter } from '../model/runStates';
import { IRunRow } from '../model/runsStore';
import { IViewProps } from './HeaderView';
import { useModel } from './useModel';

/**
 * The user's runs from every source, newest first, kept live; filter by flow (on the server)
 * and by state (on the page); Prev/Next pages. Activating a run opens it (the run detail's
 * command, when that plugin is there).
 */
export function RunsView(props: IViewProps): JSX.Element {
  useModel(props.model);
  const { trans, commands, model } = props;
  const page = model.page;
  const rows = model.runs.rows(page.state);
  const canOpen = useHasCommand(commands, CommandIDs.openRun);
  const flows = (model.deployments ?? []).map(d => d.name);
  const stateLabels = stateFilterLabels(trans);

  return (
    <div className="jp-lakebook-Runs">
      <div
        className="jp-lakebook-Runs-filters"
        role="group"
        aria-label={trans.__('Filter the runs')}
      >
        <HTMLSelect
          className="jp-lakebook-Runs-flowFilter"
          aria-label={trans.__('Flow')}
          value={page.flow}
          onChange={event => model.setFlowFilter(event.currentTarget.value)}
          options={[
            { value: '', label: trans.__('All flows') },
            ...flows.map(name => ({ value: name, label: name }))
          ]}
        />
        <HTMLSelect
          className="jp-lakebook-Runs-stateFilter"
          aria-label={trans.__('State')}
          value={page.state}
          onChange={event =>
            model.setStateFilter(event.currentTarget.value as StateFilter)
          }
          options={STATE_FILTERS.map(filter => ({
            value: filter,
            label: stateLabels[filter]
          }))}
        />
      </div>
      {model.runsError && (
        <div className="jp-lakebook-Error" role="alert">
          {model.runsError}
        </div>
      )}
      {rows.length === 0 ? (
        <p className="jp-lakebook-Empty">
          {model.runsLoading
            ? trans.__('Loading runs…')
            : trans.__('No runs to show.')}
        </p>
      ) : (
        <ul className="jp-lakebook-Runs-list" aria-label={trans.__('Runs')}>
          {rows.map(row => (
            <RunItem
              key={row.run_id}
              row={row}
              trans={trans}
              onOpen={
                canOpen
                  ? () =>
                      void commands.execute(CommandIDs.openRun, {
                        runId: row.run_id
                      })
                  : undefined
              }
            />
          ))}
        </ul>
      )}
      <div className="jp-lakebook-Runs-pager">
        <Button
          small
          minimal
          className="jp-lakebook-Runs-prev"
          disabled={page.offset === 0}
          onClick={() => model.previousPage()}
        >
          {trans.__('Prev')}
        </Button>
        <span className="jp-lakebook-Runs-pageInfo">
          {model.runs.pageLength > 0 &&
            trans.__(
              'Runs %1–%2',
              page.offset + 1,
              page.offset + model.runs.pageLength
            )}
        </span>
        <Button
          small
          minimal
          className="jp-lakebook-Runs-next"
          disabled={!model.hasNextPage}
          onClick={() => model.nextPage()}
        >
          {trans.__('Next')}
        </Button>
      </div>
    </div>
  );
}

/**
 * Whether a command is registered, re-checked when another plugin adds it later.
 */
function useHasCommand(commands: CommandRegistry, id: string): boolean {
  const [has, setHas] = React.useState(commands.hasCommand(id));
  React.useEffect(() => {
    const onChanged = () => setHas(commands.hasCommand(id));
    commands.commandChanged.connect(onChanged);
    return () => {
      commands.commandChanged.disconnect(onChanged);
    };
  }, [commands, id]);
  return has;
}

function RunItem(props: {
  row: IRunRow;
  trans: TranslationBundle;
  onOpen?: () => void;
}): JSX.Element {
  const { row, trans, onOpen } = props;
  const created = new Date(row.created_at);
  const content = (
    <>
      <span className="jp-lakebook-Run-flow">{row.flow_name}</span>
      <StateBadge state={row.state} name={row.state_name} />
      <time
        className="jp-lakebook-Run-time"
        dateTime={row.created_at}
        title={created.toLocaleString()}
      >
        {created.toLocaleTimeString()}
      </time>
      <span className="jp-lakebook-Run-id" title={row.run_id}>
        {row.run_id.slice(0, 8)}
      </span>
    </>
  );
  return (
    <li
      className="jp-lakebook-Run"
      data-run-id={row.run_id}
      data-state={row.state}
    >
      {onOpen ? (
        <button
          type="button"
          className="jp-lakebook-Run-open"
          aria-label={trans.__('Open run %1 of %2', row.run_id, row.flow_name)}
          onClick={onOpen}
        >
          {content}
        </button>
      ) : (
        <div className="jp-lakebook-Run-open">{content}</div>
      )}
    </li>
  );
}

export function StateBadge(props: {
  state: string;
  name: string;
}): JSX.Element {
  return (
    <span
      className="jp-lakebook-StateBadge"
      data-state={props.state}
      data-final={isTerminal(props.state) ? 'true' : 'false'}
    >
      {props.name}
    </span>
  );
}

function stateFilterLabels(
  trans: TranslationBundle
): Record<StateFilter, string> {
  return {
    all: trans.__('All states'),
    active: trans.__('Active'),
    completed: trans.__('Completed'),
    failed: trans.__('Failed'),
    cancelled: trans.__('Cancelled')
  };
}
