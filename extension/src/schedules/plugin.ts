import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  Notification,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import {
  deleteIcon,
  historyIcon,
  pauseIcon,
  runIcon,
  ToolbarButton
} from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { deleteSchedule, setScheduleActive } from '../api/schedules';
import { COMMAND_CATEGORY, CommandIDs } from '../commands';
import { ILakebookPanel } from '../panel/token';
import { scheduleNotebookDialog } from './ScheduleDialog';
import { SchedulesSection } from './SchedulesSection';

/**
 * Id of the Schedules section when it stands alone in the left sidebar (no lakebook panel).
 */
const SIDEBAR_ID = 'lakebook-schedules';

/**
 * Rank of the Schedules section in the lakebook panel (after the launch form and the runs).
 */
const SECTION_RANK = 300;

/**
 * Scheduling notebooks: the Schedule Notebook dialog (palette, notebook toolbar, file browser
 * context menu) and the Schedules section with Pause, Resume and Delete.
 */
export const schedulesPlugin: JupyterFrontEndPlugin<void> = {
  id: 'lakebook:schedules',
  description: 'Schedule notebooks and manage their schedules.',
  autoStart: true,
  requires: [ITranslator],
  optional: [
    ILakebookPanel,
    INotebookTracker,
    IDefaultFileBrowser,
    ICommandPalette,
    ILayoutRestorer
  ],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator,
    panel: ILakebookPanel | null,
    notebooks: INotebookTracker | null,
    browser: IDefaultFileBrowser | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const trans = translator.load('lakebook');
    const section = new SchedulesSection(app.commands, trans);

    if (panel) {
      panel.addSection(section, { rank: SECTION_RANK });
      const follow = (user: ILakebookPanel.IUser | null) => {
        section.showOwners = user?.role === 'admin';
        void section.refresh();
      };
      panel.sessionChanged.connect((_, user) => follow(user));
      section.showOwners = panel.user?.role === 'admin';
    } else {
      // Without the lakebook panel (this plugin alone) the section is a sidebar of its own.
      section.id = SIDEBAR_ID;
      section.title.label = '';
      section.title.caption = trans.__('Lakebook Schedules');
      app.shell.add(section, 'left', { rank: 650 });
      restorer?.add(section, SIDEBAR_ID);
    }

    /**
     * The notebook a command is about: its `path`, else (from the file browser's menu) the
     * browser's selected notebook, else the current notebook, else the selected one.
     */
    const notebookPath = (args: ReadonlyPartialJSONObject): string | null => {
      if (typeof args.path === 'string' && args.path) {
        return args.path;
      }
      const selected = selectedNotebook(browser);
      if (args.fromBrowser && selected) {
        return selected;
      }
      const current = notebooks?.currentWidget;
      if (current && app.shell.currentWidget === current) {
        return current.context.path;
      }
      return selected ?? current?.context.path ?? null;
    };

    app.commands.addCommand(CommandIDs.scheduleNotebook, {
      label: trans.__('Schedule Notebook…'),
      caption: trans.__('Run a notebook on a schedule'),
      icon: historyIcon,
      execute: async args => {
        const path = notebookPath(args);
        if (!path) {
          await showErrorMessage(
            trans.__('Schedule Notebook'),
            trans.__('Open a notebook or select one in the file browser first.')
          );
          return;
        }
        const created = await scheduleNotebookDialog(path, trans);
        if (created) {
          Notification.success(trans.__('Schedule %1 created.', created.name), {
            autoClose: 5000
          });
          await section.refresh();
          // Show the new schedule in its list.
          if (!panel) {
            app.shell.activateById(section.id);
          } else if (app.commands.hasCommand(CommandIDs.openPanel)) {
            await app.commands.execute(CommandIDs.openPanel);
          }
        }
      }
    });

    addScheduleActions(app, section, trans);

    palette?.addItem({
      command: CommandIDs.scheduleNotebook,
      category: COMMAND_CATEGORY
    });

    app.contextMenu.addItem({
      command: CommandIDs.scheduleNotebook,
      selector: '.jp-DirListing-item[data-file-type="notebook"]',
      args: { fromBrowser: true },
      rank: 60
    });

    // A Schedule button in every notebook's toolbar; it reads the notebook's path when
    // clicked, so it follows a rename.
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (notebook: NotebookPanel) => {
        const button = new ToolbarButton({
          icon: historyIcon,
          label: trans.__('Schedule'),
          tooltip: trans.__('Run this notebook on a schedule'),
          className: 'jp-lakebook-ScheduleButton',
          onClick: () =>
            void app.commands.execute(CommandIDs.scheduleNotebook, {
              path: notebook.context.path
            })
        });
        notebook.toolbar.insertItem(10, 'lakebook-schedule', button);
        return button;
      }
    });
  }
};

/**
 * Pause, Resume and Delete (with a confirmation) of a schedule given by `{id, name}`.
 */
function addScheduleActions(
  app: JupyterFrontEnd,
  section: SchedulesSection,
  trans: TranslationBundle
): void {
  const scheduleId = (args: ReadonlyPartialJSONObject): string => {
    if (typeof args.id !== 'string' || !args.id) {
      throw new Error(trans.__('No schedule given (the command needs an id).'));
    }
    return args.id;
  };
  const label = (args: ReadonlyPartialJSONObject) =>
    typeof args.name === 'string' ? args.name : String(args.id ?? '');
  const act = async (title: string, action: () => Promise<unknown>) => {
    try {
      await action();
    } catch (error) {
      await showErrorMessage(title, (error as Error).message);
    } finally {
      await section.refresh();
    }
  };

  app.commands.addCommand(CommandIDs.pauseSchedule, {
    label: args =>
      args.id ? trans.__('Pause %1', label(args)) : trans.__('Pause Schedule'),
    icon: pauseIcon,
    execute: args =>
      act(trans.__('Pause Schedule'), () =>
        setScheduleActive(scheduleId(args), false)
      )
  });

  app.commands.addCommand(CommandIDs.resumeSchedule, {
    label: args =>
      args.id
        ? trans.__('Resume %1', label(args))
        : trans.__('Resume Schedule'),
    icon: runIcon,
    execute: args =>
      act(trans.__('Resume Schedule'), () =>
        setScheduleActive(scheduleId(args), true)
      )
  });

  app.commands.addCommand(CommandIDs.deleteSchedule, {
    label: args =>
      args.id
        ? trans.__('Delete %1', label(args))
        : trans.__('Delete Schedule'),
    icon: deleteIcon,
    execute: async args => {
      const id = scheduleId(args);
      const answer = await showDialog({
        title: trans.__('Delete Schedule'),
        body: trans.__(
          'Delete the schedule %1? Its future runs are dropped; past runs and reports stay.',
          label(args)
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.warnButton({ label: trans.__('Delete') })
        ]
      });
      if (answer.button.accept) {
        await act(trans.__('Delete Schedule'), () => deleteSchedule(id));
      }
    }
  });
}

/**
 * The notebook selected in the file browser, if exactly that is selected.
 */
function selectedNotebook(browser: IDefaultFileBrowser | null): string | null {
  if (!browser) {
    return null;
  }
  for (const item of browser.selectedItems()) {
    if (item.type === 'notebook' || item.path.endsWith('.ipynb')) {
      return item.path;
    }
  }
  return null;
}
