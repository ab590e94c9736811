import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { Panel } from '@lumino/widgets';

import { FlowsPanel } from './components/FlowsPanel';
import { StatusPanel } from './components/StatusPanel';
import { CommandIDs } from './commands';
import { lakebookIcon } from './icons';
import { runDetailPlugin } from './detail/plugin';

export { requestAPI } from './api/request';
export * from './tokens';

/**
 * Identifier of the sidebar panel widget.
 */
const PANEL_ID = 'lakebook-status-panel';

/**
 * The lakebook JupyterLab plugin.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'lakebook:plugin',
  description: 'Lakebook sidebar: gateway status, flows to launch, runs.',
  autoStart: true,
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, restorer: ILayoutRestorer | null): void => {
    const status = new StatusPanel();
    const flows = new FlowsPanel();
    const panel = new Panel();
    panel.addClass('jp-lakebook-Sidebar');
    panel.addWidget(status);
    panel.addWidget(flows);
    panel.id = PANEL_ID;
    panel.title.icon = lakebookIcon;
    panel.title.caption = 'Lakebook';

    app.shell.add(panel, 'left', { rank: 600 });
    if (restorer) {
      restorer.add(panel, PANEL_ID);
    }

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Open Lakebook Panel',
      caption: 'Show the Lakebook sidebar',
      icon: lakebookIcon,
      execute: () => {
        app.shell.activateById(panel.id);
      }
    });

    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh Lakebook Gateway Status',
      execute: () => Promise.all([status.refresh(), flows.refresh()])
    });
  }
};

export default [plugin, runDetailPlugin];
