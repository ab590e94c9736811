import { PathExt } from '@jupyterlab/coreutils';

/**
 * The workspace folder executed notebooks of reports are saved in.
 */
export const REPORTS_FOLDER = 'lakebook-reports';

/**
 * Where a run's executed notebook goes: `lakebook-reports/{report name}-{run id's start}.ipynb`.
 */
export function reportNotebookPath(reportName: string, runId: string): string {
  const safe = reportName.replace(/[^A-Za-z0-9._-]+/g, '_') || 'report';
  return PathExt.join(REPORTS_FOLDER, `${safe}-${runId.slice(0, 8)}.ipynb`);
}
