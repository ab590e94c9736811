// The run detail's "Open in notebook" cells (moved from src/detail/notebookCell.test.ts when
// the detail view took the lake's insertion); the lake's own cases are in lake.test.ts.
import { describe, expect, it } from 'vitest';

import {
  datasetQuerySource,
  LOAD_EXTENSION,
  planInsertion,
  runQuerySource
} from './insertQuery';

const RUN = '0b8f7c2e-1111-2222-3333-444455556666';

describe('runQuerySource', () => {
  it('pins lake.<dataset> to the run with --run', () => {
    expect(runQuerySource('sales_by_region', RUN)).toBe(
      `%%duckdb --run sales_by_region=${RUN}\nSELECT * FROM lake.sales_by_region LIMIT 1000`
    );
  });

  it('quotes a name DuckDB would not read bare', () => {
    expect(runQuerySource('Odd"Name', RUN)).toContain('FROM lake."Odd""Name"');
    expect(datasetQuerySource('Odd"Name')).toContain('FROM lake."Odd""Name"');
  });
});

describe('planInsertion of a run query', () => {
  const query = runQuerySource('sales', RUN);

  it('finds %load_ext or %reload_ext lakebook.kernel on any line of a cell', () => {
    expect(
      planInsertion(
        ['import polars', 'x = 1\n%load_ext lakebook.kernel\n'],
        0,
        query
      ).sources
    ).toEqual([query]);
    expect(
      planInsertion(['%reload_ext lakebook.kernel'], 0, query).sources
    ).toEqual([query]);
  });

  it('still loads the magics after other extensions or a mention in a comment', () => {
    expect(
      planInsertion(
        ['%load_ext autoreload', '# %load_ext lakebook.kernel'],
        1,
        query
      )
    ).toEqual({
      index: 2,
      sources: [LOAD_EXTENSION, query],
      replaceEmptyCell: false
    });
  });

  it('fills the empty first cell of a new notebook instead of leaving it above', () => {
    expect(planInsertion([''], 0, query)).toEqual({
      index: 0,
      sources: [LOAD_EXTENSION, query],
      replaceEmptyCell: true
    });
  });
});
