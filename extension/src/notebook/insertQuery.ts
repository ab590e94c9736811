import type { NotebookPanel } from '@jupyterlab/notebook';

/**
 * Putting lakebook code into a notebook: the pure part (which cells, where) and the one
 * function that edits a notebook panel.
 */

export const LOAD_EXTENSION = '%load_ext lakebook.kernel';

// `%load_ext lakebook.kernel` (or `%reload_ext`) on a line of its own, magics or not.
const LOADS_EXTENSION = /^\s*%(re)?load_ext\s+lakebook\.kernel\s*$/m;

/**
 * The `%%duckdb` cell that reads a dataset's latest run through the kernel's `lake` schema.
 * Dataset names are plain identifiers (lower-case letters, digits, `_`), so no quoting.
 */
export function datasetQuerySource(dataset: string, limit = 100): string {
  return `%%duckdb\nSELECT * FROM lake.${dataset} LIMIT ${limit}`;
}

/**
 * Where the cells go and which ones: after the active cell, with a `%load_ext` cell first
 * when no cell loads the extension yet; a notebook that is only one empty cell (a new one)
 * has that cell replaced.
 */
export interface IInsertionPlan {
  index: number;
  sources: string[];
  replaceEmptyCell: boolean;
}

export function planInsertion(
  existing: readonly string[],
  activeIndex: number,
  source: string
): IInsertionPlan {
  const loaded = existing.some(cell => LOADS_EXTENSION.test(cell));
  const sources = loaded ? [source] : [LOAD_EXTENSION, source];
  if (existing.length === 0) {
    return { index: 0, sources, replaceEmptyCell: false };
  }
  if (existing.length === 1 && existing[0].trim() === '') {
    return { index: 0, sources, replaceEmptyCell: true };
  }
  const after = Math.min(Math.max(activeIndex, 0), existing.length - 1) + 1;
  return { index: after, sources, replaceEmptyCell: false };
}

/**
 * Insert a code cell with this source into the notebook (a `%load_ext` cell before it when
 * needed) and make it the active cell, ready to run.
 */
export async function insertCodeCell(
  panel: NotebookPanel,
  source: string
): Promise<void> {
  await panel.context.ready;
  const notebook = panel.content;
  const model = notebook.model;
  if (!model) {
    throw new Error(`${panel.context.path} has no notebook model`);
  }
  const shared = model.sharedModel;
  const plan = planInsertion(
    shared.cells.map(cell => cell.getSource()),
    notebook.activeCellIndex,
    source
  );
  shared.transact(() => {
    if (plan.replaceEmptyCell) {
      shared.deleteCell(0);
    }
    shared.insertCells(
      plan.index,
      plan.sources.map(text => ({ cell_type: 'code', source: text }))
    );
  });
  notebook.activeCellIndex = plan.index + plan.sources.length - 1;
  notebook.mode = 'command';
  if (notebook.activeCell) {
    await notebook.scrollToCell(notebook.activeCell);
  }
}
