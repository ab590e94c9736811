import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IRunResult } from '../tokens';
import { formatCell, previewColumns } from './format';

/**
 * The first rows of a run's published result as a table, in the rows' own column order, each
 * header titled with its column's type: the lake's dataset view and the run detail both show it.
 */
export function PreviewTable(props: {
  result: IRunResult;
  className: string;
}): JSX.Element {
  const { result } = props;
  const columns = previewColumns(result.columns, result.preview);
  return (
    <table className={props.className}>
      <thead>
        <tr>
          {columns.map(column => (
            <th key={column} title={result.columns[column]}>
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {result.preview.map((row, index) => (
          <tr key={index}>
            {columns.map(column => (
              <td key={column}>{formatCell(row[column])}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * A dataset's columns and their types, in `order` (the schema's own key order by default).
 */
export function SchemaTable(props: {
  columns: Record<string, string>;
  order?: readonly string[];
  className: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { columns, trans } = props;
  const order = props.order ?? Object.keys(columns);
  return (
    <table className={props.className}>
      <thead>
        <tr>
          <th>{trans.__('Column')}</th>
          <th>{trans.__('Type')}</th>
        </tr>
      </thead>
      <tbody>
        {order.map(column => (
          <tr key={column}>
            <td>{column}</td>
            <td>
              <code>{columns[column]}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
