/**
 * "Open in notebook": the query cell of a run's result into the active notebook (or a new one),
 * below its active cell, selected and not run.
 */
import { CommandRegistry } from '@lumino/commands';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { planInsertion } from './notebookCell';

/**
 * The notebook to insert into: the tracker's current one, else a new one.
 */
export async function targetNotebook(
  commands: CommandRegistry,
  tracker: INotebookTracker | null
): Promise<NotebookPanel> {
  const current = tracker?.currentWidget;
  if (current) {
    return current;
  }
  const created = (await commands.execute('notebook:create-new', {
    kernelName: 'python3'
  })) as NotebookPanel;
  await created.context.ready;
  return created;
}

/**
 * Insert the query (and, if needed, the `%load_ext` cell before it); the query cell becomes
 * the active one, and the selection is extended back to the load cell.
 *
 * @returns the index of the query cell
 */
export function insertQueryCells(
  panel: NotebookPanel,
  dataset: string,
  runId: string
): number {
  const notebook = panel.content;
  const shared = panel.model!.sharedModel;
  const cells = shared.cells;
  const codeSources = cells
    .filter(cell => cell.cell_type === 'code')
    .map(cell => cell.getSource());
  const active = notebook.activeCellIndex;
  const activeCell = active >= 0 ? cells[active] : undefined;
  const plan = planInsertion(
    codeSources,
    cells.length ? active : -1,
    activeCell?.cell_type === 'code' && activeCell.getSource().trim() === '',
    dataset,
    runId
  );
  shared.transact(() => {
    if (plan.replaceActive) {
      shared.deleteCell(plan.index);
    }
    shared.insertCells(
      plan.index,
      plan.sources.map(source => ({
        cell_type: 'code' as const,
        source,
        metadata: {},
        outputs: [],
        execution_count: null
      }))
    );
  });
  const last = plan.index + plan.sources.length - 1;
  notebook.deselectAll();
  notebook.activeCellIndex = plan.index;
  if (last > plan.index) {
    // Moves the active cell to the query, the load cell staying selected.
    notebook.extendContiguousSelectionTo(last);
  }
  return last;
}
