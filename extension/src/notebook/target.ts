import type { JupyterFrontEnd } from '@jupyterlab/application';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

// Apart from insertQuery.ts, whose imports are types only: its unit tests run in Node, where
// @jupyterlab/notebook's runtime is not wanted.

/**
 * The notebook to insert into: the active notebook, else the last one focused, else a new one
 * on the default kernel.
 */
export async function targetNotebook(
  app: JupyterFrontEnd,
  notebooks: INotebookTracker | null
): Promise<NotebookPanel> {
  const current = app.shell.currentWidget;
  if (current instanceof NotebookPanel) {
    return current;
  }
  if (notebooks?.currentWidget) {
    return notebooks.currentWidget;
  }
  const kernelName = app.serviceManager.kernelspecs.specs?.default;
  const created = await app.commands.execute('notebook:create-new', {
    kernelName
  });
  if (!(created instanceof NotebookPanel)) {
    throw new Error('could not create a notebook');
  }
  return created;
}
