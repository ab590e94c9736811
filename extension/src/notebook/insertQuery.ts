import type { NotebookPanel } from '@jupyterlab/notebook';

/**
 * Putting lakebook code into a notebook: the pure part (which cells, where) and the one
 * function that edits a notebook panel.
 */

export const LOAD_EXTENSION = '%load_ext lakebook.kernel';

// `%load_ext lakebook.kernel` (or `%reload_ext`) on a line of its own, magics or not.
const LOADS_EXTENSION = /^\s*%(re)?load_ext\s+lakebook\.kernel\s*$/m;

// The dataset names the lake allows (lakebook.common.lake.DATASET_NAME) need no quoting.
const PLAIN_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * `lake.<dataset>` as DuckDB reads it: a plain name bare, anything else double-quoted (a name
 * the lake would refuse still gives a query that fails on the name, not on its syntax).
 */
function lakeView(dataset: string): string {
  return PLAIN_NAME.test(dataset)
    ? `lake.${dataset}`
    : `lake."${dataset.replace(/"/g, '""')}"`;
}

/**
 * The `%%duckdb` cell that reads a dataset's latest run through the kernel's `lake` schema.
 */
export function datasetQuerySource(dataset: string, limit = 100): string {
  return `%%duckdb\nSELECT * FROM ${lakeView(dataset)} LIMIT ${limit}`;
}

/**
 * Rows the run detail's query asks for: enough to look at, not a whole dataset in the kernel.
 */
export const RUN_QUERY_LIMIT = 1000;

/**
 * The `%%duckdb` cell that reads what one run published: `lake.<dataset>` pinned to that run
 * with `--run` (see lakebook/kernel/magics.py), so a later run of the flow does not change
 * what the cell shows.
 */
export function runQuerySource(
  dataset: string,
  runId: string,
  limit = RUN_QUERY_LIMIT
): string {
  return `%%duckdb --run ${dataset}=${runId}\nSELECT * FROM ${lakeView(dataset)} LIMIT ${limit}`;
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

export interface IInsertOptions {
  /**
   * Leave every inserted cell selected (the `%load_ext` cell too, when one is added), the
   * query being the active one: "Run selected cells" then loads the magics and runs the
   * query in one go. The run detail's "Open in notebook" asks for it.
   */
  selectInserted?: boolean;
}

/**
 * Insert a code cell with this source into the notebook (a `%load_ext` cell before it when
 * needed) and make it the active cell, ready to run (not run).
 */
export async function insertCodeCell(
  panel: NotebookPanel,
  source: string,
  options: IInsertOptions = {}
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
  const last = plan.index + plan.sources.length - 1;
  if (options.selectInserted && last > plan.index) {
    notebook.deselectAll();
    notebook.activeCellIndex = plan.index;
    // Moves the active cell to the query, the cells from the first inserted one selected.
    notebook.extendContiguousSelectionTo(last);
  } else {
    notebook.activeCellIndex = last;
  }
  notebook.mode = 'command';
  if (notebook.activeCell) {
    await notebook.scrollToCell(notebook.activeCell);
  }
}
