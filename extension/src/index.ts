import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';

import { COMMAND_CATEGORY, CommandIDs } from './commands';
import { lakebookIcon } from './icons';
import { runDetailPlugin } from './detail/plugin';
import { lakePlugin } from './lake/plugin';
import { LakebookPanel } from './panel/LakebookPanel';
import { PanelModel } from './panel/model';
import { ILakebookPanel } from './panel/token';
import { schedulesPlugin } from './schedules/plugin';
import { readSettings } from './settings';

export { requestAPI } from './api/request';
export * from './tokens';
export { ILakebookPanel } from './panel/token';

const PLUGIN_ID = 'lakebook:plugin';

/**
 * The lakebook side panel and its commands; other plugins add sections through ILakebookPanel.
 */
const panelPlugin: JupyterFrontEndPlugin<ILakebookPanel> = {
  id: PLUGIN_ID,
  description:
    'Lakebook side panel: gateway and session, launch flows, follow runs.',
  autoStart: true,
  requires: [ITranslator, ISettingRegistry],
  optional: [ILayoutRestorer, ICommandPalette],
  provides: ILakebookPanel,
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator,
    settingRegistry: ISettingRegistry,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): ILakebookPanel => {
    const trans = translator.load('lakebook');
    const { commands } = app;
    const model = new PanelModel();
    const panel = new LakebookPanel({ model, commands, trans, translator });

    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, panel.id);

    commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Open the Lakebook Panel'),
      caption: trans.__('Show the Lakebook side panel'),
      icon: lakebookIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh Lakebook'),
      caption: trans.__(
        'Check the gateway and the session, reload flows and runs'
      ),
      execute: () => model.refresh()
    });
    commands.addCommand(CommandIDs.signIn, {
      label: trans.__('Sign In to the Lakebook Gateway'),
      isEnabled: () => model.gateway.kind !== 'signed-in',
      execute: args => {
        const { username, password } = args as {
          username?: string;
          password?: string;
        };
        if (typeof username === 'string' && typeof password === 'string') {
          return model.signIn(username, password);
        }
        // From the palette: show the form, focus its first field.
        app.shell.activateById(panel.id);
        panel.node
          .querySelector<HTMLInputElement>('.jp-lakebook-SignIn input')
          ?.focus();
        return undefined;
      }
    });
    commands.addCommand(CommandIDs.signOut, {
      label: trans.__('Sign Out of the Lakebook Gateway'),
      isEnabled: () => {
        const state = model.gateway;
        return state.kind === 'signed-in' && state.source === 'sign-in';
      },
      execute: () => model.signOut()
    });
    commands.addCommand(CommandIDs.launchFlow, {
      label: args =>
        typeof args.flow === 'string'
          ? trans.__('Launch %1', args.flow)
          : trans.__('Launch a Lakebook Flow…'),
      isEnabled: () => model.gateway.kind === 'signed-in',
      execute: args => {
        const { flow, parameters } = args as {
          flow?: string;
          parameters?: Record<string, unknown>;
        };
        if (typeof flow === 'string' && parameters !== undefined) {
          return model.launch(flow, parameters);
        }
        app.shell.activateById(panel.id);
        panel.node
          .querySelector<HTMLSelectElement>('.jp-lakebook-Launch-flow select')
          ?.focus();
        return undefined;
      }
    });
    // Sign in/out and launch are enabled by the session: refresh them when it changes.
    let sessionKey = '';
    model.changed.connect(() => {
      const state = model.gateway;
      const key =
        state.kind === 'signed-in' ? `in:${state.source}` : state.kind;
      if (key !== sessionKey) {
        sessionKey = key;
        commands.notifyCommandChanged();
      }
    });

    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.refresh,
      CommandIDs.signIn,
      CommandIDs.signOut,
      CommandIDs.launchFlow
    ]) {
      palette?.addItem({ command, category: COMMAND_CATEGORY });
    }

    void settingRegistry
      .load(PLUGIN_ID)
      .then(settings => {
        model.setSettings(readSettings(settings));
        settings.changed.connect(() =>
          model.setSettings(readSettings(settings))
        );
      })
      .catch(reason => {
        console.warn(
          'lakebook: settings not loaded, using the defaults',
          reason
        );
      })
      .finally(() => model.start());

    return panel;
  }
};

/**
 * Every lakebook front-end plugin: each part adds itself with one import and one entry here.
 */
const plugins: JupyterFrontEndPlugin<any>[] = [
  panelPlugin,
  lakePlugin,
  schedulesPlugin,
  runDetailPlugin
];

export default plugins;
