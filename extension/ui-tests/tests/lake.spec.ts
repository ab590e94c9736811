/**
 * The lake section against a real gateway: upload by drop, ingest with the pre-filled form,
 * the dataset's detail, and a query of it in a notebook run on a real kernel.
 */
import * as path from 'path';

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { ARTIFACTS_DIR } from '../playwright.config';

const SECTION = '#lakebook-lake';
// Line 4 lacks its last field: the ingest leaves it out and the dataset's detail says so.
const CSV =
  'city,temperature,day\nOslo,3.5,2026-01-01\nLima,24.0,2026-01-02\nQuito,14.0\nPune,31.25,2026-01-03\n';

function screenshot(name: string): { path: string } {
  return { path: path.join(ARTIFACTS_DIR, name) };
}

async function browseLake(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('lakebook:browse-lake')
  );
  await expect(page.locator(SECTION)).toBeVisible();
}

/**
 * Drops a file on the section as a browser would: the drag events with a DataTransfer.
 */
async function dropFile(
  page: IJupyterLabPageFixture,
  name: string,
  content: string
): Promise<void> {
  await page.evaluate(
    ({ selector, name, content }) => {
      const zone = document.querySelector(selector)!;
      const transfer = new DataTransfer();
      transfer.items.add(new File([content], name, { type: 'text/csv' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        zone.dispatchEvent(
          new DragEvent(type, {
            bubbles: true,
            cancelable: true,
            dataTransfer: transfer
          })
        );
      }
    },
    { selector: `${SECTION} .jp-lakebook-Lake-upload`, name, content }
  );
}

/**
 * Records the runs `lakebook:open-run` is executed for; registers a stand-in for it when no
 * plugin (the run detail) does in this build.
 */
async function recordOpenRun(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(() => {
    const commands = window.jupyterapp.commands;
    const opened: string[] = [];
    (window as any).lakebookOpenedRuns = opened;
    commands.commandExecuted.connect((_, executed) => {
      if (executed.id === 'lakebook:open-run') {
        opened.push(String(executed.args.runId));
      }
    });
    if (!commands.hasCommand('lakebook:open-run')) {
      commands.addCommand('lakebook:open-run', { execute: () => undefined });
    }
  });
}

test('an upload is ingested, shown in detail and queried in a notebook', async ({
  page
}) => {
  test.setTimeout(300_000);
  const suffix = Math.random().toString(36).slice(2, 8);
  const filename = `UI Weather ${suffix}.csv`;
  const dataset = `ui_weather_${suffix}`;
  await browseLake(page);
  const section = page.locator(SECTION);
  await recordOpenRun(page);

  await dropFile(page, filename, CSV);
  const status = section.locator('.jp-lakebook-Lake-uploadStatus');
  await expect(status).toHaveAttribute('data-phase', 'uploaded');
  await expect(status).toContainText(`Uploaded ${filename} (${CSV.length} B)`);

  await section.locator('.jp-lakebook-Lake-ingest').click();
  const form = section.locator('.jp-lakebook-Lake-ingestForm');
  const uploadKey = form.locator('input[id="root_upload_key"]');
  await expect(uploadKey).toHaveValue(
    /^raw\/uploads\/[^/]+\/[0-9a-f]+\/data\.csv$/
  );
  await expect(form.locator('input[id="root_dataset"]')).toHaveValue(dataset);
  await page.theme.setDarkTheme();
  await section.screenshot(screenshot('lab-sidebar-lake-ingest-dark.png'));
  await page.theme.setLightTheme();
  await section.screenshot(screenshot('lab-sidebar-lake-ingest-light.png'));

  // One row in four is malformed: more than the default share that fails an ingest.
  await form.locator('input[id="root_max_reject_fraction"]').fill('0.5');
  await form.locator('.jp-lakebook-Lake-launch').click();
  await expect(form.locator('.jp-lakebook-Lake-runState')).toHaveText(
    'Completed',
    { timeout: 120_000 }
  );
  await expect(section.locator(`li[data-dataset="${dataset}"]`)).toBeVisible();
  await expect(status).toHaveAttribute('data-phase', 'ingested');
  await expect(status).toContainText(`as ${dataset}`);

  // A completed ingest opens the dataset's detail.
  const view = page.locator(`#lakebook-dataset-${dataset}`);
  await expect(view).toBeVisible();
  await expect(view.locator('.jp-lakebook-DatasetView-rows')).toHaveText(
    '3 rows'
  );
  // The first publisher owns the name: the owner is whoever the ingest ran for.
  const owner = (
    await view.locator('.jp-lakebook-DatasetView-owner').innerText()
  ).trim();
  expect(owner).not.toContain('nobody');
  await expect(view.locator('.jp-lakebook-DatasetView-summary')).toContainText(
    `for ${owner}`
  );
  const schema = view.locator('.jp-lakebook-DatasetView-schema');
  for (const column of ['city', 'temperature', 'day']) {
    await expect(
      schema.locator('td', { hasText: column }).first()
    ).toBeVisible();
  }
  const rejects = view.locator('.jp-lakebook-DatasetView-rejects');
  await expect(rejects.locator('h3')).toHaveText('1 row rejected');
  await expect(rejects.locator('li')).toHaveText(['line 4: 2 of 3 fields']);
  const preview = view.locator('.jp-lakebook-DatasetView-rowsTable tbody tr');
  await expect(preview).toHaveCount(3);
  await expect(preview.first()).toContainText('Oslo');
  await expect(
    view.locator('.jp-lakebook-DatasetView-inputs li[data-kind="upload"]')
  ).toContainText(await uploadKey.inputValue());
  await view.screenshot(screenshot('lab-sidebar-lake-dataset-light.png'));
  await form.locator('.jp-lakebook-Lake-close').click();
  await expect(form).toBeHidden();
  await page.theme.setDarkTheme();
  await view.screenshot(screenshot('lab-sidebar-lake-dataset-dark.png'));
  await section.screenshot(screenshot('lab-sidebar-lake-section-dark.png'));
  await page.theme.setLightTheme();
  await section.screenshot(screenshot('lab-sidebar-lake-section-light.png'));

  // The filter keeps only matching datasets.
  const filter = section.locator('input[type="search"]');
  await filter.fill(`no_such_${suffix}`);
  await expect(section.locator(`li[data-dataset="${dataset}"]`)).toBeHidden();
  await filter.fill(suffix);
  await expect(section.locator(`li[data-dataset="${dataset}"]`)).toBeVisible();

  // No notebook is open: the query goes into a new one, after a %load_ext cell.
  await view.locator('.jp-lakebook-DatasetView-query').click();
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  await expect.poll(() => page.notebook.getCellCount()).toBe(2);
  expect(await page.notebook.getCellTextInput(0)).toBe(
    '%load_ext lakebook.kernel'
  );
  expect(await page.notebook.getCellTextInput(1)).toBe(
    `%%duckdb\nSELECT * FROM lake.${dataset} LIMIT 100`
  );
  await page.notebook.run();
  const output = page
    .locator('.jp-Cell')
    .nth(1)
    .locator('.jp-OutputArea-output');
  await expect(output).toContainText('Lima', { timeout: 120_000 });
  await expect(output).toContainText('Pune');
  await expect(output).not.toContainText('Error');

  // A second query goes into the same notebook without loading the extension again.
  await page.evaluate(
    name =>
      window.jupyterapp.commands.execute('lakebook:query-dataset-in-notebook', {
        dataset: name
      }),
    dataset
  );
  await expect.poll(() => page.notebook.getCellCount()).toBe(3);
  expect(await page.notebook.getCellTextInput(2)).toContain(`lake.${dataset}`);

  // Lineage: a run of the dataset opens through the run detail's command.
  await page
    .locator(`.lm-TabBar-tab[data-id="lakebook-dataset-${dataset}"]`)
    .click();
  const run = view.locator('.jp-lakebook-DatasetView-runs [data-run]').first();
  const runId = await run.getAttribute('data-run');
  await run.click();
  await expect
    .poll(() => page.evaluate(() => (window as any).lakebookOpenedRuns))
    .toEqual([runId]);
});

test('the gateway refusing an upload shows its message', async ({ page }) => {
  await browseLake(page);
  const section = page.locator(SECTION);
  // CSV text under a Parquet name: the gateway sniffs the content and answers 415.
  await section.locator('.jp-lakebook-Lake-fileInput').setInputFiles({
    name: 'not-really.parquet',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from(CSV)
  });
  const status = section.locator('.jp-lakebook-Lake-uploadStatus');
  await expect(status).toHaveAttribute('data-phase', 'failed');
  await expect(status).toContainText('unknown format');
  await expect(status).toContainText('parquet');
  await expect(status).not.toContainText('Traceback');
  await expect(section.locator('.jp-lakebook-Lake-ingest')).toBeHidden();
  await section.screenshot(screenshot('lab-sidebar-lake-upload-error.png'));
});
