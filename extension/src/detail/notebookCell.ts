/**
 * What "Open in notebook" inserts: a `%%duckdb` cell reading the run's published dataset
 * (`lake.<dataset>` pinned to that run with `--run`, see lakebook/kernel/magics.py), preceded by
 * a `%load_ext lakebook.kernel` cell when no cell of the notebook loads the magics yet.
 */

export const LOAD_EXTENSION = '%load_ext lakebook.kernel';

/**
 * Rows the inserted query asks for: enough to look at, not a whole dataset in the kernel.
 */
export const QUERY_LIMIT = 1000;

const LOADS_EXTENSION = /^\s*%(re)?load_ext\s+lakebook\.kernel\s*$/m;

// The dataset names the lake allows (lakebook.common.lake.DATASET_NAME) need no quoting.
const PLAIN_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Whether one of these code cell sources loads the lakebook magics.
 */
export function loadsExtension(sources: string[]): boolean {
  return sources.some(source => LOADS_EXTENSION.test(source));
}

/**
 * The `%%duckdb` cell that reads what this run published.
 */
export function queryCellText(dataset: string, runId: string): string {
  const view = PLAIN_NAME.test(dataset)
    ? dataset
    : `"${dataset.replace(/"/g, '""')}"`;
  return [
    `%%duckdb --run ${dataset}=${runId}`,
    `SELECT * FROM lake.${view} LIMIT ${QUERY_LIMIT}`
  ].join('\n');
}

/**
 * Where the cells go and which ones.
 */
export interface IInsertion {
  /**
   * Index of the first inserted cell.
   */
  index: number;
  /**
   * Whether the active cell, empty, is replaced (a new notebook's first cell).
   */
  replaceActive: boolean;
  /**
   * Sources of the code cells to insert, in order; the last is the query.
   */
  sources: string[];
}

/**
 * Below the active cell (or in its place when it is an empty code cell), the query cell,
 * after a load cell if the notebook has none.
 *
 * @param codeSources sources of the notebook's code cells
 * @param activeIndex index of the active cell, -1 when the notebook has no cells
 * @param activeIsEmptyCode whether the active cell is a code cell with no source
 */
export function planInsertion(
  codeSources: string[],
  activeIndex: number,
  activeIsEmptyCode: boolean,
  dataset: string,
  runId: string
): IInsertion {
  const sources = loadsExtension(codeSources)
    ? [queryCellText(dataset, runId)]
    : [LOAD_EXTENSION, queryCellText(dataset, runId)];
  const replaceActive = activeIndex >= 0 && activeIsEmptyCode;
  return {
    index: replaceActive ? activeIndex : activeIndex + 1,
    replaceActive,
    sources
  };
}
