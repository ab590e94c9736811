/**
 * The run detail view as a Lumino widget, for a MainAreaWidget in Lab's main area.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { IRunDetail, IRunResult } from '../tokens';
import { IRunActions, RunDetail } from './RunDetail';

export class RunDetailWidget extends ReactWidget {
  constructor(
    readonly runId: string,
    private readonly _trans: TranslationBundle,
    private readonly _actions: IRunActions
  ) {
    super();
    this.addClass('jp-lakebook-RunDetailWidget');
  }

  /**
   * The run as last read, null until it is.
   */
  get run(): IRunDetail | null {
    return this._run;
  }

  /**
   * What the run published, null while nothing (or not known yet).
   */
  get result(): IRunResult | null {
    return this._result;
  }

  /**
   * Emitted when the run or its result changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  protected render(): JSX.Element {
    return (
      <RunDetail
        runId={this.runId}
        trans={this._trans}
        actions={this._actions}
        onChange={(run, result) => {
          this._run = run;
          this._result = result;
          this._changed.emit();
        }}
      />
    );
  }

  private _run: IRunDetail | null = null;
  private _result: IRunResult | null = null;
  private _changed = new Signal<this, void>(this);
}
