import { ReactWidget } from '@jupyterlab/apputils';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { SidePanel } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { ISignal, Signal } from '@lumino/signaling';
import { SplitPanel, Widget } from '@lumino/widgets';
import * as React from 'react';

import { lakebookIcon } from '../icons';
import { HeaderView, IViewProps } from './HeaderView';
import { LaunchView } from './LaunchView';
import { PanelModel } from './model';
import { RunsView } from './RunsView';
import { SignInView } from './SignInView';
import { ILakebookPanel } from './token';

/**
 * A plugin section's share of the panel's height (the launch form has 3, the runs 2).
 */
const DEFAULT_SECTION_STRETCH = 2;

/**
 * Identifier of the side panel (layout restore and the UI tests use it).
 */
export const PANEL_ID = 'lakebook-status-panel';

/**
 * The lakebook side panel: a header (gateway, user, Sign out, Refresh) and the sign-in form
 * above collapsible sections (Launch, Runs, and those other plugins add). The sections show
 * only while signed in with a gateway that answers: otherwise the header says why.
 */
export class LakebookPanel extends SidePanel implements ILakebookPanel {
  constructor(options: LakebookPanel.IOptions) {
    super({ translator: options.translator });
    const { model, commands, trans } = options;
    this._model = model;
    this.id = PANEL_ID;
    this.addClass('jp-lakebook-Panel');
    this.title.icon = lakebookIcon;
    this.title.caption = trans.__('Lakebook');

    const props: IViewProps = { model, commands, trans };
    this.header.addWidget(view(HeaderView, props, 'jp-lakebook-HeaderWidget'));
    this.header.addWidget(view(SignInView, props, 'jp-lakebook-SignInWidget'));

    const launch = view(LaunchView, props, 'jp-lakebook-LaunchSection');
    launch.title.label = trans.__('Launch');
    const runs = view(RunsView, props, 'jp-lakebook-RunsSection');
    runs.title.label = trans.__('Runs');
    // The launch form is the tallest: it gets the largest share of the height.
    SplitPanel.setStretch(launch, 3);
    SplitPanel.setStretch(runs, 2);
    this.addSection(launch, { rank: 100 });
    this.addSection(runs, { rank: 200 });

    model.changed.connect(this._updateSections, this);
    model.sessionChanged.connect((_, user) => this._sessionChanged.emit(user));
    this._updateSections();
  }

  get user(): ILakebookPanel.IUser | null {
    return this._model.user;
  }

  get sessionChanged(): ISignal<ILakebookPanel, ILakebookPanel.IUser | null> {
    return this._sessionChanged;
  }

  /**
   * Insert a section by rank (lower first); equal ranks keep the order they were added in.
   */
  addSection(widget: Widget, options: { rank?: number } = {}): void {
    const rank = options.rank ?? 500;
    if (SplitPanel.getStretch(widget) === 0) {
      // Lumino's accordion gives a section of stretch 0 no height at all while another has
      // some: a plugin's section would be there but invisible.
      SplitPanel.setStretch(widget, DEFAULT_SECTION_STRETCH);
    }
    const index = this._ranks.findIndex(existing => existing > rank);
    const at = index === -1 ? this._ranks.length : index;
    this._ranks.splice(at, 0, rank);
    this.insertWidget(at, widget);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.dispose();
    super.dispose();
  }

  private _updateSections(): void {
    const ready = this._model.gateway.kind === 'signed-in';
    this.content.setHidden(!ready);
  }

  private _model: PanelModel;
  private _ranks: number[] = [];
  private _sessionChanged = new Signal<
    ILakebookPanel,
    ILakebookPanel.IUser | null
  >(this);
}

export namespace LakebookPanel {
  export interface IOptions {
    model: PanelModel;
    commands: CommandRegistry;
    trans: TranslationBundle;
    translator: ITranslator;
  }
}

function view(
  component: (props: IViewProps) => JSX.Element | null,
  props: IViewProps,
  className: string
): ReactWidget {
  const widget = ReactWidget.create(React.createElement(component, props));
  widget.addClass(className);
  return widget;
}
