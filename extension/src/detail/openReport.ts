/**
 * "Open report" of a run_notebook run: its HTML in a sandboxed frame, and the executed
 * notebook saved into the workspace (under lakebook-reports/) and opened, as jupyter-scheduler
 * brings a job's outputs into the file browser.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { TranslationBundle } from '@jupyterlab/translation';
import { IFrame } from '@jupyterlab/ui-components';

import { fetchReport, fetchReportNotebook, reportHtmlUrl } from '../api/runs';
import { lakebookIcon } from '../icons';
import { REPORTS_FOLDER, reportNotebookPath } from './reportPath';

export async function openReport(
  app: JupyterFrontEnd,
  docManager: IDocumentManager | null,
  runId: string,
  trans: TranslationBundle
): Promise<void> {
  const report = await fetchReport(runId);
  if (!report) {
    throw new Error(
      trans.__('Run %1 has not published a report (yet).', runId)
    );
  }
  const id = `lakebook-report-${runId}`;
  const open = Array.from(app.shell.widgets('main')).find(w => w.id === id);
  if (open) {
    app.shell.activateById(id);
  } else {
    // No scripts, no origin: the report is the user's own cell output.
    const frame = new IFrame({ sandbox: [] });
    frame.url = reportHtmlUrl(runId);
    frame.addClass('jp-lakebook-ReportFrame');
    const view = new MainAreaWidget({ content: frame });
    view.id = id;
    view.title.label = trans.__('%1 (report)', report.report_name);
    view.title.caption = trans.__('Report of run %1: %2', runId, report.status);
    view.title.icon = lakebookIcon;
    view.title.closable = true;
    app.shell.add(view, 'main');
    app.shell.activateById(id);
  }

  const contents = app.serviceManager.contents;
  const path = reportNotebookPath(report.report_name, runId);
  await contents
    .get(REPORTS_FOLDER, { content: false })
    .catch(() => contents.save(REPORTS_FOLDER, { type: 'directory' }));
  await contents.save(path, {
    type: 'notebook',
    format: 'json',
    content: await fetchReportNotebook(runId)
  });
  if (docManager) {
    docManager.openOrReveal(path, undefined, undefined, {
      mode: 'split-right'
    });
  } else {
    await app.commands.execute('docmanager:open', { path });
  }
}
