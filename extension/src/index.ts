import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { StatusPanel } from './components/StatusPanel';
import { lakebookIcon } from './icons';

export { requestAPI } from './request';
export * from './tokens';

/**
 * Command identifiers of the lakebook extension.
 */
export namespace CommandIDs {
  export const openPanel = 'lakebook:open-panel';
  export const refreshStatus = 'lakebook:refresh-status';
}

/**
 * Identifier of the sidebar panel widget.
 */
const PANEL_ID = 'lakebook-status-panel';

/**
 * The lakebook JupyterLab plugin.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'lakebook:plugin',
  description: 'Lakebook sidebar showing the gateway status.',
  autoStart: true,
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, restorer: ILayoutRestorer | null): void => {
    const panel = new StatusPanel();
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

    app.commands.addCommand(CommandIDs.refreshStatus, {
      label: 'Refresh Lakebook Gateway Status',
      execute: () => panel.refresh()
    });
  }
};

export default plugin;
