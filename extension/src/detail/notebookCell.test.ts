import { describe, expect, it } from 'vitest';

import {
  LOAD_EXTENSION,
  loadsExtension,
  planInsertion,
  queryCellText
} from './notebookCell';

const RUN = '0b8f7c2e-1111-2222-3333-444455556666';

describe('queryCellText', () => {
  it('pins lake.<dataset> to the run with --run', () => {
    expect(queryCellText('sales_by_region', RUN)).toBe(
      `%%duckdb --run sales_by_region=${RUN}\nSELECT * FROM lake.sales_by_region LIMIT 1000`
    );
  });

  it('quotes a name DuckDB would not read bare', () => {
    expect(queryCellText('Odd"Name', RUN)).toContain('FROM lake."Odd""Name"');
  });
});

describe('loadsExtension', () => {
  it('finds %load_ext lakebook.kernel on any line of a cell', () => {
    expect(
      loadsExtension(['import polars', 'x = 1\n%load_ext lakebook.kernel\n'])
    ).toBe(true);
    expect(loadsExtension(['%reload_ext lakebook.kernel'])).toBe(true);
  });

  it('is false for other extensions or a mention in a comment', () => {
    expect(
      loadsExtension(['%load_ext autoreload', '# %load_ext lakebook.kernel'])
    ).toBe(false);
    expect(loadsExtension([])).toBe(false);
  });
});

describe('planInsertion', () => {
  it('puts a load cell before the query when the notebook has none', () => {
    const plan = planInsertion(['x = 1'], 0, false, 'sales', RUN);
    expect(plan).toEqual({
      index: 1,
      replaceActive: false,
      sources: [LOAD_EXTENSION, queryCellText('sales', RUN)]
    });
  });

  it('inserts only the query below the active cell when the magics are loaded', () => {
    const plan = planInsertion(
      [LOAD_EXTENSION, 'y = 2', 'z'],
      1,
      false,
      'sales',
      RUN
    );
    expect(plan).toEqual({
      index: 2,
      replaceActive: false,
      sources: [queryCellText('sales', RUN)]
    });
  });

  it('fills the empty first cell of a new notebook instead of leaving it above', () => {
    const plan = planInsertion([''], 0, true, 'sales', RUN);
    expect(plan.index).toBe(0);
    expect(plan.replaceActive).toBe(true);
    expect(plan.sources).toHaveLength(2);
  });

  it('starts at the top of a notebook without cells', () => {
    expect(planInsertion([], -1, false, 'sales', RUN).index).toBe(0);
  });
});
