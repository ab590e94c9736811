import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../commands';
import { GatewayState } from '../model/gateway';
import { PanelModel } from './model';
import { useModel } from './useModel';

export interface IViewProps {
  model: PanelModel;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

/**
 * The top of the panel: whether the gateway answers, who is signed in, Sign out and Refresh;
 * while the gateway does not answer, one message saying so with Retry (it also retries itself).
 */
export function HeaderView(props: IViewProps): JSX.Element {
  useModel(props.model);
  const { trans, commands } = props;
  const state = props.model.gateway;
  return (
    <div className="jp-lakebook-Header">
      <div className="jp-lakebook-Header-top">
        <h2 className="jp-lakebook-Header-title">{trans.__('Lakebook')}</h2>
        <Button
          small
          minimal
          className="jp-lakebook-Header-refresh"
          title={trans.__('Check the gateway and reload flows and runs')}
          onClick={() => void commands.execute(CommandIDs.refresh)}
        >
          {trans.__('Refresh')}
        </Button>
      </div>
      <GatewayLine state={state} trans={trans} />
      {state.kind === 'signed-in' && (
        <UserLine state={state} commands={commands} trans={trans} />
      )}
      {state.kind === 'unreachable' && (
        <div className="jp-lakebook-Unreachable" role="alert">
          <p className="jp-lakebook-Unreachable-title">
            {trans.__('The gateway does not answer')}
          </p>
          <p className="jp-lakebook-Unreachable-message">{state.message}</p>
          <p className="jp-lakebook-Unreachable-hint">
            {trans.__('Lakebook keeps checking and comes back by itself.')}
          </p>
          <Button
            small
            className="jp-lakebook-Unreachable-retry jp-lakebook-Secondary"
            onClick={() => void commands.execute(CommandIDs.refresh)}
          >
            {trans.__('Retry')}
          </Button>
        </div>
      )}
    </div>
  );
}

function GatewayLine(props: {
  state: GatewayState;
  trans: TranslationBundle;
}): JSX.Element {
  const { state, trans } = props;
  const status =
    state.kind === 'checking'
      ? { key: 'checking', label: trans.__('Checking the gateway…') }
      : state.kind === 'unreachable'
        ? { key: 'down', label: trans.__('Gateway unreachable') }
        : { key: 'ok', label: trans.__('Gateway connected') };
  // While unreachable the message below names the URL: said once.
  const url =
    state.kind === 'signed-in' || state.kind === 'signed-out'
      ? state.gatewayUrl
      : null;
  return (
    <div className="jp-lakebook-Header-gateway" role="status">
      <span className="jp-lakebook-Header-dot" data-state={status.key} />
      <span className="jp-lakebook-Header-status" data-state={status.key}>
        {status.label}
      </span>
      {url && (
        <code className="jp-lakebook-Header-url" title={url}>
          {url}
        </code>
      )}
    </div>
  );
}

function UserLine(props: {
  state: Extract<GatewayState, { kind: 'signed-in' }>;
  commands: CommandRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const { state, commands, trans } = props;
  const who = state.user
    ? trans.__('Signed in as %1 (%2)', state.user.name, state.user.role)
    : trans.__("Using the server's gateway token");
  return (
    <div className="jp-lakebook-Header-user">
      <span className="jp-lakebook-Header-who">{who}</span>
      {state.source === 'sign-in' && (
        <Button
          small
          minimal
          className="jp-lakebook-Header-signOut"
          onClick={() => void commands.execute(CommandIDs.signOut)}
        >
          {trans.__('Sign out')}
        </Button>
      )}
    </div>
  );
}
