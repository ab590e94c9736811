/**
 * The run detail view against a real gateway: a live ping's log and states, a transform's
 * published result opened in a notebook and queried there, a failed run's reason.
 */
import * as path from 'path';

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator, Page } from '@playwright/test';

import { ARTIFACTS_DIR } from '../playwright.config';

// Galata's own start-up waits are 15 s, too short for a shared 2-core machine under load:
// these tests open Lab themselves and wait longer.
const APP_START_TIMEOUT = 120_000;

// Tall enough for a whole run view in the screenshots.
test.describe.configure({ timeout: 300_000 });
test.use({ autoGoto: false, viewport: { width: 1280, height: 1100 } });

/**
 * Playwright's own page under galata's fixture, whose goto waits only 15 s.
 */
function playwrightPage(page: IJupyterLabPageFixture): Page {
  return (page as unknown as { page: Page }).page;
}

test.beforeEach(async ({ page }) => {
  await playwrightPage(page).goto('lab', { waitUntil: 'domcontentloaded' });
  await playwrightPage(page).waitForFunction(
    () => typeof window.jupyterapp === 'object',
    null,
    {
      timeout: APP_START_TIMEOUT
    }
  );
  await page.evaluate(async () => {
    await window.jupyterapp.started;
    await window.jupyterapp.restored;
  });
});

async function setTheme(
  page: IJupyterLabPageFixture,
  theme: string
): Promise<void> {
  await page.evaluate(async name => {
    await window.jupyterapp.commands.execute('apputils:change-theme', {
      theme: name
    });
  }, theme);
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-name',
    theme
  );
  // A theme change shows Lab's splash over the page for a moment: not in the screenshots.
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
}

// Ingested by tests/lab/test_ui_galata.py before the tests start.
const DATASET = process.env.LAKEBOOK_UI_DATASET ?? 'ui_sales';

function salesByRegion(
  steps: unknown[],
  output: string
): Record<string, unknown> {
  return { spec: { inputs: [{ dataset: DATASET }], steps, output } };
}

const TOTAL_BY_REGION = [
  {
    step: 'group_by',
    by: ['region'],
    aggs: [{ name: 'total', expr: { agg: 'sum', col: 'amount' } }]
  },
  { step: 'sort', by: ['region'] }
];

async function launch(
  page: IJupyterLabPageFixture,
  flow: string,
  parameters: Record<string, unknown>
): Promise<string> {
  const response = await page.request.post(`lakebook/flows/${flow}/execute`, {
    data: { parameters }
  });
  expect(response.status(), await response.text()).toBe(202);
  return (await response.json()).run_id;
}

async function openRun(
  page: IJupyterLabPageFixture,
  runId: string
): Promise<Locator> {
  // The command returns the view: not something to send back to the test.
  await page.evaluate(async id => {
    await window.jupyterapp.commands.execute('lakebook:open-run', {
      runId: id
    });
  }, runId);
  const view = page.locator(`[id="lakebook-run-${runId}"]`);
  await expect(view.locator('.jp-lakebook-RunDetail-flow')).toBeVisible();
  return view;
}

/**
 * The view in the light and the dark theme, as test-artifacts/lab-sidebar-rundetail-NAME-*.png.
 */
async function screenshots(
  page: IJupyterLabPageFixture,
  view: Locator,
  name: string
): Promise<void> {
  const file = (theme: string) =>
    path.join(ARTIFACTS_DIR, `lab-sidebar-rundetail-${name}-${theme}.png`);
  await setTheme(page, 'JupyterLab Light');
  await view.screenshot({ path: file('light') });
  await setTheme(page, 'JupyterLab Dark');
  await view.screenshot({ path: file('dark') });
  await setTheme(page, 'JupyterLab Light');
}

const state = (view: Locator) =>
  view.locator('.jp-lakebook-RunDetail-header .jp-lakebook-RunDetail-state');

test('a running ping streams its log, ticks, completes and refuses a late cancel', async ({
  page
}) => {
  const runId = await launch(page, 'ping', {
    message: 'from the run detail',
    wait_seconds: 12
  });
  const view = await openRun(page, runId);

  await expect(view.locator('.jp-lakebook-RunDetail-flow')).toHaveText('ping');
  await expect(state(view)).toHaveText('Running', { timeout: 90_000 });
  await expect(view.locator('.jp-lakebook-RunDetail-logLines')).toContainText(
    'ping: from the run detail'
  );
  const duration = view.locator('.jp-lakebook-RunDetail-duration');
  await expect(duration).toContainText('(running)');
  const before = await duration.textContent();
  await expect(duration).not.toHaveText(before ?? '', { timeout: 5_000 });
  await expect(view.locator('.jp-lakebook-RunDetail-cancel')).toBeEnabled();
  await expect(view.locator('.jp-lakebook-RunDetail-parameters')).toContainText(
    'from the run detail'
  );
  await screenshots(page, view, 'running');

  await expect(state(view)).toHaveText('Completed', { timeout: 90_000 });
  await expect(view.locator('.jp-lakebook-RunDetail-cancel')).toBeDisabled();
  await expect(
    view.locator('.jp-lakebook-RunDetail-history li')
  ).not.toHaveCount(0);
  await expect(view.locator('.jp-lakebook-RunDetail-following')).toHaveText(
    'complete',
    {
      timeout: 30_000
    }
  );
  await expect(duration).not.toContainText('(running)');
  // Opening it again brings back the same view.
  await openRun(page, runId);
  await expect(page.locator(`[id="lakebook-run-${runId}"]`)).toHaveCount(1);

  // The palette command still asks the gateway, whose 409 is shown as it is.
  void page.evaluate(
    id =>
      window.jupyterapp.commands.execute('lakebook:cancel-run', { runId: id }),
    runId
  );
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('already ended');
  // showErrorMessage's one button is a cancel button ("Close"), not an accept one.
  await dialog.locator('.jp-Dialog-button.jp-mod-reject').click();
  await expect(dialog).toHaveCount(0);
});

test('a transform shows its result and opens it in a notebook that queries it', async ({
  page
}) => {
  const runId = await launch(
    page,
    'transform_dataset',
    salesByRegion(TOTAL_BY_REGION, 'ui_sales_by_region')
  );
  const view = await openRun(page, runId);
  await expect(state(view)).toHaveText('Completed', { timeout: 120_000 });

  const result = view.locator('.jp-lakebook-RunDetail-result');
  await expect(result.locator('.jp-lakebook-RunDetail-dataset')).toHaveText(
    'lake.ui_sales_by_region'
  );
  await expect(result.locator('.jp-lakebook-RunDetail-rowCount')).toHaveText(
    '3'
  );
  const rows = result.locator('.jp-lakebook-RunDetail-preview tbody tr');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(1)).toContainText('north');
  await expect(rows.nth(1)).toContainText('15');
  await expect(result.locator('.jp-lakebook-RunDetail-schema')).toContainText(
    'total'
  );
  await screenshots(page, view, 'completed-result');

  await view.locator('.jp-lakebook-RunDetail-openNotebook').click();
  const notebook = page.locator('.jp-NotebookPanel:visible');
  const cells = notebook.locator('.jp-CodeCell');
  await expect(cells).toHaveCount(2, { timeout: 60_000 });
  await expect(cells.nth(0)).toContainText('%load_ext lakebook.kernel');
  await expect(cells.nth(1)).toContainText(
    `%%duckdb --run ui_sales_by_region=${runId}`
  );
  await expect(cells.nth(1)).toHaveClass(/jp-mod-active/);
  // Nothing ran yet: the cells are selected, not executed.
  await expect(notebook.locator('.jp-OutputArea-output')).toHaveCount(0);

  // The new notebook's kernel must be up before its cells are sent to it.
  await expect(page.locator('#jp-main-statusbar')).toContainText('Idle', {
    timeout: 90_000
  });
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('notebook:run-all-cells');
  });
  const output = cells.nth(1).locator('.jp-OutputArea-output');
  await expect(output).toContainText('north', { timeout: 90_000 });
  await expect(output).toContainText('south');
  await expect(output).toContainText('15');
  await expect(
    notebook.locator('.jp-OutputArea-output[data-mime-type*="error"]')
  ).toHaveCount(0);
});

test('a failed run shows why it failed', async ({ page }) => {
  // A spec that does not fit its input is refused before a run exists (422), so the failure
  // comes from the data: an upload whose rows mostly lack a field fails its ingest.
  const upload = await page.request.post('lakebook/lake/uploads', {
    multipart: {
      file: {
        name: 'ragged.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from('n,day\n1,2026-01-01\n2\n3\n')
      }
    }
  });
  expect(upload.status(), await upload.text()).toBe(201);
  const runId = await launch(page, 'ingest_upload', {
    upload_key: (await upload.json()).key,
    dataset: 'ui_ragged'
  });
  const view = await openRun(page, runId);
  await expect(state(view)).toHaveText('Failed', { timeout: 120_000 });
  const failure = view.locator('.jp-lakebook-RunDetail-failure');
  await expect(failure).toContainText('2 of 3 rows');
  await expect(failure).toContainText('line 3: 1 of 2 fields');
  await expect(view.locator('.jp-lakebook-RunDetail-cancel')).toBeDisabled();
  await expect(
    view.locator('.jp-lakebook-RunDetail-openNotebook')
  ).toBeDisabled();
  await expect(view.locator('.jp-lakebook-RunDetail-following')).toHaveText(
    'complete',
    {
      timeout: 30_000
    }
  );
  await screenshots(page, view, 'failed');
});

test('a notebook run opens its HTML report in a sandboxed frame and its executed notebook', async ({
  page,
  tmpPath
}) => {
  // Lab's root is the gateway's workspace folder: a notebook made here can be run by path.
  const notebook = `${tmpPath}/ui_report.ipynb`;
  const content = {
    cells: [
      {
        cell_type: 'code',
        execution_count: null,
        metadata: {},
        outputs: [],
        source: "print('report says', 6 * 7)"
      }
    ],
    metadata: {
      kernelspec: {
        name: 'python3',
        display_name: 'Python 3',
        language: 'python'
      }
    },
    nbformat: 4,
    nbformat_minor: 5
  };
  expect(
    await page.contents.uploadContent(JSON.stringify(content), 'text', notebook)
  ).toBe(true);
  const runId = await launch(page, 'run_notebook', { notebook });
  const view = await openRun(page, runId);
  await expect(state(view)).toHaveText('Completed', { timeout: 180_000 });

  await view.locator('.jp-lakebook-RunDetail-openReport').click();
  const report = page.locator(`[id="lakebook-report-${runId}"]`);
  await expect(report).toBeVisible();
  const frame = report.locator('iframe');
  // No scripts, no origin: the sandbox attribute is there and grants nothing.
  await expect(frame).toHaveAttribute('sandbox', '');
  await expect(frame).toHaveAttribute(
    'src',
    new RegExp(`/lakebook/runs/${runId}/report/html$`)
  );
  await expect(
    page.frameLocator(`[id="lakebook-report-${runId}"] iframe`).locator('body')
  ).toContainText('report says 42');
  // The executed notebook is saved into the workspace and opened beside it.
  const executed = `ui_report-${runId.slice(0, 8)}.ipynb`;
  await expect(
    page.locator('.lm-TabBar-tab', { hasText: executed })
  ).toBeVisible();
  expect(await page.contents.fileExists(`lakebook-reports/${executed}`)).toBe(
    true
  );
  await screenshots(page, page.locator('#jp-main-dock-panel'), 'report');
});
