import { describe, expect, it } from 'vitest';

import { reportNotebookPath } from './reportPath';

describe('reportNotebookPath', () => {
  it('names the executed notebook after the report and the run', () => {
    expect(
      reportNotebookPath('weekly-sales', '7d9ff527-ca16-4843-8489-f0489313ddd8')
    ).toBe('lakebook-reports/weekly-sales-7d9ff527.ipynb');
  });

  it('keeps a report name from leaving the folder or making odd file names', () => {
    expect(reportNotebookPath('../../etc/x y', 'abcdef0123')).toBe(
      'lakebook-reports/.._.._etc_x_y-abcdef01.ipynb'
    );
    expect(reportNotebookPath('', 'abcdef0123')).toBe(
      'lakebook-reports/report-abcdef01.ipynb'
    );
  });
});
