/**
 * The run detail plugin: `lakebook:open-run` opens (or brings back) a run's view in the main
 * area, restored across reloads; Cancel, Open in notebook and Open report act on a run by id.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  showErrorMessage,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { cancelRun, fetchResult } from '../api/runs';
import { COMMAND_CATEGORY, CommandIDs } from '../commands';
import { lakebookIcon } from '../icons';
import { isTerminal } from '../model/runStates';
import { insertCodeCell, runQuerySource } from '../notebook/insertQuery';
import { targetNotebook } from '../notebook/target';
import { IRunResult } from '../tokens';
import { openReport } from './openReport';
import { RunDetailWidget } from './widget';

type RunView = MainAreaWidget<RunDetailWidget>;

function runIdOf(args: ReadonlyPartialJSONObject): string {
  const runId = args.runId;
  if (typeof runId !== 'string' || runId === '') {
    throw new Error('lakebook: this command needs a runId argument');
  }
  return runId;
}

export const runDetailPlugin: JupyterFrontEndPlugin<void> = {
  id: 'lakebook:run-detail',
  description:
    'The run detail view: state, parameters, streaming logs, result, actions.',
  autoStart: true,
  requires: [ITranslator],
  optional: [
    INotebookTracker,
    IDocumentManager,
    ICommandPalette,
    ILayoutRestorer
  ],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator,
    notebooks: INotebookTracker | null,
    docManager: IDocumentManager | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const trans = translator.load('lakebook');
    const { commands, shell } = app;
    const tracker = new WidgetTracker<RunView>({ namespace: 'lakebook-run' });

    const viewOf = (runId: string): RunView | undefined =>
      tracker.find(view => view.content.runId === runId);

    const cancel = async (runId: string): Promise<void> => {
      await cancelRun(runId);
    };

    const openInNotebook = async (runId: string): Promise<void> => {
      const result: IRunResult | null =
        viewOf(runId)?.content.result ?? (await fetchResult(runId, 0));
      if (!result) {
        throw new Error(trans.__('Run %1 has not published a dataset.', runId));
      }
      const panel = await targetNotebook(app, notebooks);
      shell.activateById(panel.id);
      await insertCodeCell(
        panel,
        runQuerySource(result.dataset, result.run_id),
        {
          selectInserted: true
        }
      );
    };

    const refreshCommands = () => {
      commands.notifyCommandChanged(CommandIDs.cancelRun);
      commands.notifyCommandChanged(CommandIDs.openRunInNotebook);
    };

    commands.addCommand(CommandIDs.openRun, {
      label: trans.__('Open Run'),
      caption: trans.__('Show a run: its state, parameters, logs and result'),
      icon: lakebookIcon,
      execute: args => {
        const runId = runIdOf(args);
        const open = viewOf(runId);
        if (open) {
          shell.activateById(open.id);
          return open;
        }
        const content = new RunDetailWidget(runId, trans, {
          cancel: () => cancel(runId),
          openInNotebook: () => openInNotebook(runId),
          openReport: () => openReport(app, docManager, runId, trans)
        });
        const view = new MainAreaWidget({ content });
        view.id = `lakebook-run-${runId}`;
        view.title.label = trans.__('Run %1', runId.slice(0, 8));
        view.title.icon = lakebookIcon;
        view.title.closable = true;
        content.changed.connect(() => {
          const run = content.run;
          if (run) {
            view.title.label = `${run.flow_name} · ${run.state_name}`;
            view.title.caption = trans.__(
              'Run %1 of %2',
              run.run_id,
              run.flow_name
            );
          }
          refreshCommands();
        });
        void tracker.add(view);
        shell.add(view, 'main');
        shell.activateById(view.id);
        return view;
      }
    });

    // Without a runId (the palette), these act on the run view in front.
    const targetRunId = (args: ReadonlyPartialJSONObject): string | null => {
      if (typeof args.runId === 'string' && args.runId) {
        return args.runId;
      }
      return tracker.currentWidget?.content.runId ?? null;
    };

    const reportErrors =
      (title: string, action: (runId: string) => Promise<void>) =>
      async (args: ReadonlyPartialJSONObject): Promise<void> => {
        const runId = targetRunId(args);
        if (!runId) {
          return;
        }
        try {
          await action(runId);
        } catch (error) {
          await showErrorMessage(title, (error as Error).message);
        }
      };

    commands.addCommand(CommandIDs.cancelRun, {
      label: trans.__('Cancel Run'),
      caption: trans.__('Ask the gateway to cancel the run'),
      isEnabled: args => {
        const runId = targetRunId(args);
        const run = runId ? viewOf(runId)?.content.run : null;
        // A run not on screen may be cancellable: the gateway answers 409 if it ended.
        return runId !== null && !(run && isTerminal(run.state));
      },
      execute: reportErrors(trans.__('Cannot cancel the run'), cancel)
    });

    commands.addCommand(CommandIDs.openRunInNotebook, {
      label: trans.__('Open Run Result in Notebook'),
      caption: trans.__(
        'Insert a %%duckdb cell reading the run’s published dataset into the active notebook'
      ),
      isEnabled: args => {
        const runId = targetRunId(args);
        const view = runId ? viewOf(runId) : undefined;
        return runId !== null && (!view || view.content.result !== null);
      },
      execute: reportErrors(
        trans.__('Cannot open the result in a notebook'),
        openInNotebook
      )
    });

    commands.addCommand(CommandIDs.openReport, {
      label: trans.__('Open Run Report'),
      caption: trans.__(
        'Open a notebook run’s HTML report and its executed notebook'
      ),
      isEnabled: args => targetRunId(args) !== null,
      execute: reportErrors(trans.__('Cannot open the report'), runId =>
        openReport(app, docManager, runId, trans)
      )
    });

    if (palette) {
      for (const command of [
        CommandIDs.cancelRun,
        CommandIDs.openRunInNotebook,
        CommandIDs.openReport
      ]) {
        palette.addItem({ command, category: COMMAND_CATEGORY });
      }
    }

    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openRun,
        args: view => ({ runId: view.content.runId }),
        name: view => view.content.runId
      });
    }
    tracker.currentChanged.connect(refreshCommands);
  }
};

export default runDetailPlugin;
