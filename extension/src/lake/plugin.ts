import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator } from '@jupyterlab/translation';
import { AccordionPanel, Widget } from '@lumino/widgets';

import { COMMAND_CATEGORY, CommandIDs } from '../commands';
import { datasetQuerySource, insertCodeCell } from '../notebook/insertQuery';
import { targetNotebook } from '../notebook/target';
import { ILakebookPanel } from '../panel/token';
import { createDatasetView, datasetViewId } from './DatasetView';
import { lakeIcon } from './icon';
import { isDatasetName } from './ingestPrefill';
import { LakeSection } from './LakeSection';

/**
 * Id of the lake section (and of its own sidebar tab when there is no lakebook panel).
 */
export const LAKE_SECTION_ID = 'lakebook-lake';

/**
 * Where the lake section sits among the panel's sections (lower ranks come first).
 */
const SECTION_RANK = 300;

/**
 * The lake browser: datasets, their detail and preview, uploads and their ingest, and a
 * query of a dataset in a notebook.
 */
export const lakePlugin: JupyterFrontEndPlugin<void> = {
  id: 'lakebook:lake',
  description: 'Lakebook lake browser: datasets, detail, uploads, ingest.',
  autoStart: true,
  requires: [ITranslator],
  optional: [ILakebookPanel, INotebookTracker, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator,
    lakebookPanel: ILakebookPanel | null,
    notebooks: INotebookTracker | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = translator.load('lakebook');
    const { commands, shell } = app;

    // A run's detail is another plugin's; without it, run ids are plain text.
    const openRun = (runId: string) =>
      void commands.execute(CommandIDs.openRun, { runId });
    const openDataset = (name: string) => {
      const id = datasetViewId(name);
      const open = Array.from(shell.widgets('main')).find(w => w.id === id);
      if (open) {
        shell.activateById(id);
        return;
      }
      const view = createDatasetView({
        trans,
        name,
        openDataset,
        openRun: commands.hasCommand(CommandIDs.openRun) ? openRun : undefined,
        queryInNotebook: dataset =>
          void commands.execute(CommandIDs.queryDatasetInNotebook, { dataset })
      });
      shell.add(view, 'main');
      shell.activateById(view.id);
    };

    const section = new LakeSection({
      trans,
      openDataset,
      openRun,
      canOpenRun: () => commands.hasCommand(CommandIDs.openRun)
    });
    section.id = LAKE_SECTION_ID;
    if (lakebookPanel) {
      lakebookPanel.addSection(section, { rank: SECTION_RANK });
      lakebookPanel.sessionChanged.connect(() => section.refresh());
    } else {
      section.title.icon = lakeIcon;
      shell.add(section, 'left', { rank: 610 });
    }

    const showSection = () => {
      // The sidebar tab holding the section: the section itself, or the lakebook panel.
      const tabs = Array.from(shell.widgets('left'));
      let tab: Widget | null = section;
      while (tab && !tabs.includes(tab)) {
        tab = tab.parent;
      }
      if (tab) {
        shell.activateById(tab.id);
      }
      const accordion = section.parent;
      if (accordion instanceof AccordionPanel && section.isHidden) {
        accordion.expand(accordion.widgets.indexOf(section));
      }
    };

    commands.addCommand(CommandIDs.browseLake, {
      label: trans.__('Browse the Lake'),
      caption: trans.__('Show the datasets published in the lake'),
      icon: lakeIcon,
      execute: () => {
        showSection();
        section.refresh();
        section.focusFilter();
      }
    });

    commands.addCommand(CommandIDs.uploadFile, {
      label: trans.__('Upload a File to the Lake…'),
      caption: trans.__('Upload a CSV, JSON lines or Parquet file to ingest'),
      execute: () => {
        showSection();
        section.pickFile();
      }
    });

    commands.addCommand(CommandIDs.queryDatasetInNotebook, {
      label: args =>
        args.dataset
          ? trans.__('Query %1 in a Notebook', String(args.dataset))
          : trans.__('Query a Dataset in a Notebook'),
      // As an argument: in the message itself gettext would read %% as an escaped %.
      caption: trans.__(
        'Insert a %1 cell reading the dataset into the active notebook',
        '%%duckdb'
      ),
      execute: async args => {
        const dataset = String(args.dataset ?? '');
        if (!isDatasetName(dataset)) {
          throw new Error(
            trans.__(
              'dataset: %1 is not a dataset name',
              JSON.stringify(dataset)
            )
          );
        }
        const notebook = await targetNotebook(app, notebooks);
        shell.activateById(notebook.id);
        await insertCodeCell(notebook, datasetQuerySource(dataset));
      }
    });

    if (palette) {
      for (const command of [CommandIDs.browseLake, CommandIDs.uploadFile]) {
        palette.addItem({ command, category: COMMAND_CATEGORY });
      }
    }
  }
};
