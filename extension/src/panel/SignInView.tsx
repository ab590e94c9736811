import { Button, InputGroup } from '@jupyterlab/ui-components';
import * as React from 'react';

import { CommandIDs } from '../commands';
import { IViewProps } from './HeaderView';
import { messageOf } from './model';
import { useModel } from './useModel';

/**
 * The sign-in form, shown while the server has no gateway session; a refused sign-in shows the
 * server's message on the form.
 */
export function SignInView(props: IViewProps): JSX.Element | null {
  useModel(props.model);
  const { trans, commands } = props;
  const [username, setUsername] = React.useState('');
  const [password, setPassword] = React.useState('');
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const state = props.model.gateway;
  if (state.kind !== 'signed-out') {
    return null;
  }

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await commands.execute(CommandIDs.signIn, { username, password });
      setPassword('');
    } catch (reason) {
      setError(messageOf(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="jp-lakebook-SignIn"
      aria-label={trans.__('Sign in to the lakebook gateway')}
      onSubmit={submit}
    >
      <h3 className="jp-lakebook-SignIn-title">{trans.__('Sign in')}</h3>
      {state.message && (
        <p className="jp-lakebook-SignIn-note">{state.message}</p>
      )}
      <label className="jp-lakebook-Field">
        <span>{trans.__('User name')}</span>
        <InputGroup
          name="username"
          autoComplete="username"
          value={username}
          required
          onChange={event => setUsername(event.currentTarget.value)}
        />
      </label>
      <label className="jp-lakebook-Field">
        <span>{trans.__('Password')}</span>
        <InputGroup
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          required
          onChange={event => setPassword(event.currentTarget.value)}
        />
      </label>
      {error && (
        <div className="jp-lakebook-Error" role="alert">
          {error}
        </div>
      )}
      <Button
        type="submit"
        className="jp-lakebook-SignIn-submit jp-lakebook-Primary"
        disabled={busy || !username || !password}
      >
        {busy ? trans.__('Signing in…') : trans.__('Sign in')}
      </Button>
    </form>
  );
}
