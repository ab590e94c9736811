import { describe, expect, it } from 'vitest';

import { IDatasetOut, IUploadOut } from '../../api/lake';
import {
  datasetQuerySource,
  LOAD_EXTENSION,
  planInsertion
} from '../../notebook/insertQuery';
import { filterDatasets } from '../filter';
import {
  formatBytes,
  formatCell,
  formatProgress,
  formatRows,
  previewColumns
} from '../format';
import {
  datasetNameFromFilename,
  ingestFormData,
  isDatasetName
} from '../ingestPrefill';
import { describeInput } from '../lineage';
import { backoffDelays, pollUntil } from '../../model/poll';
import {
  ACCEPT_ATTRIBUTE,
  buildUploadRequest,
  readUploadAnswer,
  refuseBeforeSending
} from '../upload';

function dataset(name: string, published_at: string): IDatasetOut {
  return { name, latest_run_id: `run-${name}`, published_at, run_count: 1 };
}

describe('filterDatasets', () => {
  const datasets = [
    dataset('sales_eu', '2026-01-01T00:00:00Z'),
    dataset('sales_us', '2026-03-01T00:00:00Z'),
    dataset('weather', '2026-02-01T00:00:00Z')
  ];

  it('keeps every dataset, newest first, for an empty query', () => {
    expect(filterDatasets(datasets, '  ').map(d => d.name)).toEqual([
      'sales_us',
      'weather',
      'sales_eu'
    ]);
  });

  it('matches every word, ignoring case', () => {
    expect(filterDatasets(datasets, 'SALES').map(d => d.name)).toEqual([
      'sales_us',
      'sales_eu'
    ]);
    expect(filterDatasets(datasets, 'sales eu').map(d => d.name)).toEqual([
      'sales_eu'
    ]);
    expect(filterDatasets(datasets, 'nothing')).toEqual([]);
  });

  it('does not reorder its input', () => {
    filterDatasets(datasets, '');
    expect(datasets[0].name).toBe('sales_eu');
  });
});

describe('formatting', () => {
  it('formats sizes in powers of 1024', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(1024)).toBe('1 KB');
    expect(formatBytes(12 * 1024 * 1024)).toBe('12 MB');
    expect(formatBytes(-1)).toBe('?');
  });

  it('formats progress with a percentage', () => {
    expect(formatProgress(512, 2048)).toBe('512 B of 2 KB (25%)');
    expect(formatProgress(10, 0)).toBe('10 B');
  });

  it('formats row counts and preview cells', () => {
    expect(formatRows(1234567)).toBe('1,234,567 rows');
    expect(formatRows(1)).toBe('1 row');
    expect(formatCell(null)).toBe('null');
    expect(formatCell({ a: 1 })).toBe('{"a":1}');
    expect(formatCell(2.5)).toBe('2.5');
  });

  it("orders preview columns as the rows do, the schema's others last", () => {
    const columns = { a: 'Int64', b: 'String', z: 'Date' };
    expect(previewColumns(columns, [{ z: 1, a: 2 }])).toEqual(['z', 'a', 'b']);
    expect(previewColumns(columns, [])).toEqual(['a', 'b', 'z']);
  });
});

describe('the query cell', () => {
  it('reads the dataset through the lake schema', () => {
    expect(datasetQuerySource('sales')).toBe(
      '%%duckdb\nSELECT * FROM lake.sales LIMIT 100'
    );
  });

  it('loads the extension first when no cell does', () => {
    const plan = planInsertion(['import polars'], 0, 'Q');
    expect(plan).toEqual({
      index: 1,
      sources: [LOAD_EXTENSION, 'Q'],
      replaceEmptyCell: false
    });
  });

  it('does not load it twice', () => {
    const cells = ['x = 1\n%load_ext lakebook.kernel', 'y', 'z'];
    expect(planInsertion(cells, 1, 'Q')).toEqual({
      index: 2,
      sources: ['Q'],
      replaceEmptyCell: false
    });
    // A mention that is not the magic does not count.
    expect(
      planInsertion(['# %load_ext lakebook.kernelx'], 0, 'Q').sources
    ).toHaveLength(2);
  });

  it("replaces a new notebook's empty cell", () => {
    expect(planInsertion([' '], 0, 'Q')).toEqual({
      index: 0,
      sources: [LOAD_EXTENSION, 'Q'],
      replaceEmptyCell: true
    });
    expect(planInsertion([], -1, 'Q').index).toBe(0);
  });

  it('inserts after the active cell, at the end when none is', () => {
    expect(planInsertion(['a', 'b', 'c'], -1, 'Q').index).toBe(1);
    expect(planInsertion(['a', 'b', 'c'], 9, 'Q').index).toBe(3);
  });
});

describe('the upload request', () => {
  it('sends the file in the gateway field with Jupyter auth headers', () => {
    const file = new Blob(['a,b\n1,2\n']);
    const request = buildUploadRequest(
      file,
      'data.csv',
      { baseUrl: 'http://127.0.0.1:8888/lab-base/', token: 'tok' },
      'other=1; _xsrf=2%7Cabc; last=x'
    );
    expect(request.url).toBe(
      'http://127.0.0.1:8888/lab-base/lakebook/lake/uploads'
    );
    expect(request.headers).toEqual({
      Authorization: 'token tok',
      'X-XSRFToken': '2|abc'
    });
    const sent = request.body.get('file') as File;
    expect(sent.name).toBe('data.csv');
    expect(sent.size).toBe(file.size);
    // The multipart boundary is the browser's to set.
    expect(Object.keys(request.headers)).not.toContain('Content-Type');
  });

  it('leaves out the headers it has no value for', () => {
    const request = buildUploadRequest(
      new Blob(['x']),
      'x.csv',
      { baseUrl: '/', token: '' },
      ''
    );
    expect(request.headers).toEqual({});
  });

  it('refuses empty files and unknown extensions before sending', () => {
    expect(refuseBeforeSending({ name: 'a.csv', size: 0 })).toBe(
      'a.csv is empty'
    );
    expect(refuseBeforeSending({ name: 'a.xlsx', size: 9 })).toContain(
      '.xlsx is not accepted'
    );
    expect(refuseBeforeSending({ name: 'A.CSV', size: 9 })).toBeNull();
    expect(refuseBeforeSending({ name: 'noextension', size: 9 })).toBeNull();
    expect(ACCEPT_ATTRIBUTE).toContain('.jsonl');
  });

  it("reads the gateway's answer and its errors", () => {
    const upload: IUploadOut = {
      upload_id: 'u1',
      key: 'raw/uploads/ann/u1/data.csv',
      format: 'csv',
      bytes: 8
    };
    expect(readUploadAnswer(201, JSON.stringify(upload))).toEqual({ upload });
    expect(
      readUploadAnswer(
        413,
        '{"code":"too_large","message":"upload is larger than the limit of 10 bytes"}'
      )
    ).toEqual({
      error: 'too large: upload is larger than the limit of 10 bytes'
    });
    expect(
      readUploadAnswer(
        415,
        '{"code":"x","message":"file type .xls is not accepted"}'
      )
    ).toEqual({ error: 'unknown format: file type .xls is not accepted' });
    expect(readUploadAnswer(502, '<html>Bad gateway</html>')).toEqual({
      error: '502 <html>Bad gateway</html>'
    });
    expect(readUploadAnswer(0, '')).toEqual({
      error: 'the upload did not reach the Jupyter server'
    });
    // A 2xx without an UploadOut is an error, not an upload.
    expect('error' in readUploadAnswer(200, '{}')).toBe(true);
  });
});

describe('the ingest form pre-fill', () => {
  const upload: IUploadOut = {
    upload_id: 'u1',
    key: 'raw/uploads/ann/u1/data.csv',
    format: 'csv',
    bytes: 8
  };

  it('makes a dataset name the gateway accepts from a file name', () => {
    expect(datasetNameFromFilename('Sales 2024 (EU).csv')).toBe(
      'sales_2024_eu'
    );
    expect(datasetNameFromFilename('customerOrders.jsonl')).toBe(
      'customer_orders'
    );
    expect(datasetNameFromFilename('2024.csv')).toBe('data_2024');
    expect(datasetNameFromFilename('...csv')).toBe('data');
    const long = datasetNameFromFilename(`${'a'.repeat(70)}.csv`);
    expect(long).toHaveLength(63);
    for (const name of [
      'Sales 2024 (EU).csv',
      '2024.csv',
      'é.csv',
      '_x_.csv'
    ]) {
      expect(isDatasetName(datasetNameFromFilename(name))).toBe(true);
    }
  });

  it("fills the schema's parameters: defaults, then the upload", () => {
    const schema = {
      properties: {
        upload_key: { type: 'string' },
        dataset: { type: 'string' },
        max_reject_fraction: { type: 'number', default: 0.01 },
        // Optional[dict]: a null default means unset, and the form's field is an object.
        column_types: {
          anyOf: [{ type: 'object' }, { type: 'null' }],
          default: null
        }
      }
    };
    expect(ingestFormData(schema, upload, 'My File.csv')).toEqual({
      upload_key: 'raw/uploads/ann/u1/data.csv',
      dataset: 'my_file',
      max_reject_fraction: 0.01
    });
  });

  it('leaves out parameters the schema does not have', () => {
    expect(
      ingestFormData({ properties: { upload_key: {} } }, upload, 'a.csv')
    ).toEqual({ upload_key: upload.key });
    expect(ingestFormData({}, upload, 'a.csv')).toEqual({});
  });
});

describe('polling a run', () => {
  it('backs off to a ceiling and stops at the total', () => {
    const delays = backoffDelays(100, 2, 400, 1500);
    expect(delays).toEqual([100, 200, 400, 400, 400]);
    expect(delays.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1500);
  });

  it('reads until done, retrying failed reads', async () => {
    const answers: Array<string | Error> = [
      'RUNNING',
      new Error('lost'),
      'COMPLETED',
      'never read'
    ];
    const seen: string[] = [];
    const waited: number[] = [];
    const result = await pollUntil({
      read: async () => {
        const next = answers.shift()!;
        if (next instanceof Error) {
          throw next;
        }
        return next;
      },
      isDone: state => state === 'COMPLETED',
      delays: [1, 2, 3, 4, 5],
      onValue: state => seen.push(state),
      sleep: async ms => {
        waited.push(ms);
      }
    });
    expect(result).toBe('COMPLETED');
    expect(seen).toEqual(['RUNNING', 'COMPLETED']);
    expect(waited).toEqual([1, 2, 3]);
  });

  it('gives up when the delays run out or it is cancelled', async () => {
    const sleep = async () => undefined;
    let reads = 0;
    const never = await pollUntil({
      read: async () => ++reads,
      isDone: () => false,
      delays: [1, 1, 1],
      sleep
    });
    expect(never).toBeNull();
    expect(reads).toBe(3);
    const cancelled = await pollUntil({
      read: async () => 1,
      isDone: () => true,
      delays: [1],
      sleep,
      cancelled: () => true
    });
    expect(cancelled).toBeNull();
  });
});

describe('lineage inputs', () => {
  it("names the dataset and run of another run's data", () => {
    expect(
      describeInput('processed/flows/sales_eu/abc123/output.parquet')
    ).toEqual({
      kind: 'dataset',
      dataset: 'sales_eu',
      runId: 'abc123',
      key: 'processed/flows/sales_eu/abc123/output.parquet'
    });
    expect(
      describeInput('s3://lake/root/processed/flows/w/r1/output.parquet').kind
    ).toBe('dataset');
  });

  it('tells uploads from anything else', () => {
    expect(describeInput('raw/uploads/ann/u1/data.csv').kind).toBe('upload');
    expect(describeInput('somewhere/else.parquet').kind).toBe('other');
  });
});
