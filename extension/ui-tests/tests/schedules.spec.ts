/**
 * Scheduling a notebook from its toolbar, then pausing, resuming and deleting the schedule,
 * against the real gateway (Prefect holds the schedule).
 */
import * as path from 'path';

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { ARTIFACTS_DIR } from '../playwright.config';

const NOTEBOOK_NAME = 'weekly-sales.ipynb';
const SCHEDULE = 'weekly-sales';

// A notebook whose first cell is tagged `parameters`, as papermill reads it.
const CONTENT = {
  cells: [
    {
      cell_type: 'code',
      execution_count: null,
      metadata: { tags: ['parameters'] },
      outputs: [],
      source: "region = 'emea'  # Sales region\nlimit: int = 10\n"
    },
    {
      cell_type: 'code',
      execution_count: null,
      metadata: {},
      outputs: [],
      source: 'print(region, limit)\n'
    }
  ],
  metadata: {
    kernelspec: {
      display_name: 'Python 3',
      language: 'python',
      name: 'python3'
    },
    language_info: { name: 'python' }
  },
  nbformat: 4,
  nbformat_minor: 5
};

function screenshot(name: string): { path: string } {
  return { path: path.join(ARTIFACTS_DIR, name) };
}

async function openScheduleDialog(
  page: IJupyterLabPageFixture
): Promise<Locator> {
  await page
    .locator('.jp-NotebookPanel-toolbar .jp-lakebook-ScheduleButton')
    .click();
  const dialog = page.locator('.jp-lakebook-ScheduleDialog');
  await expect(dialog).toBeVisible();
  // The parameters cell was read: its defaults are in the form.
  await expect(dialog.locator('#root_region')).toHaveValue('emea');
  // The dialog focuses the name once its body has rendered: typing elsewhere before that can
  // land in the name (a second dialog once created "weekly-sales3").
  await expect(dialog.locator('#jp-lakebook-schedule-name')).toBeFocused();
  return dialog;
}

test('a notebook is scheduled from its toolbar, paused, resumed and deleted', async ({
  page,
  tmpPath
}) => {
  // Galata's folder for this test, inside Lab's root (the gateway's workspace folder).
  const notebook = `${tmpPath}/${NOTEBOOK_NAME}`;
  expect(
    await page.contents.uploadContent(JSON.stringify(CONTENT), 'text', notebook)
  ).toBe(true);
  expect(await page.notebook.openByPath(notebook)).toBe(true);

  const dialog = await openScheduleDialog(page);
  await expect(dialog.locator('#root_limit')).toHaveValue('10');
  await expect(dialog.locator('#jp-lakebook-schedule-name')).toHaveValue(
    SCHEDULE
  );

  // A preset, then its time: the cron is read in words.
  const preview = dialog.locator('.jp-lakebook-ScheduleForm-cronPreview');
  await dialog
    .locator('#jp-lakebook-schedule-interval')
    .selectOption('weekdays');
  await expect(preview).toContainText('At 06:00, Monday through Friday');
  await dialog.locator('#jp-lakebook-schedule-time').fill('07:30');
  await expect(preview).toHaveText(
    'At 07:30, Monday through Friday 30 7 * * 1-5'
  );
  await dialog
    .locator('#jp-lakebook-schedule-timezone')
    .selectOption('Europe/Paris');
  await dialog.locator('#root_limit').fill('25');
  await dialog.screenshot(screenshot('lab-sidebar-schedule-dialog.png'));

  // A custom cron starts from the preset's; a wrong one is refused under its field and
  // Create keeps the dialog open.
  await dialog.locator('#jp-lakebook-schedule-interval').selectOption('custom');
  const cron = dialog.locator('#jp-lakebook-schedule-cron');
  await expect(cron).toHaveValue('30 7 * * 1-5');
  await cron.fill('61 7 * * 1-5');
  const cronError = dialog.locator(
    '[data-field="cron"] .jp-lakebook-ScheduleForm-fieldError'
  );
  await expect(cronError).toBeVisible();
  await expect(cronError).not.toContainText('Error:');
  await expect(cron).toHaveAttribute('aria-invalid', 'true');
  await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
  await expect(dialog).toBeVisible();
  await dialog.screenshot(screenshot('lab-sidebar-schedule-cron-error.png'));

  await cron.fill('0 7 * * 1-5');
  await expect(cronError).toBeHidden();
  await expect(preview).toContainText('At 07:00, Monday through Friday');
  await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
  await expect(dialog).toBeHidden();

  // The schedule is listed, its cron in words, with the time zone and a next run.
  const item = page.locator(
    `.jp-lakebook-Schedules-item[data-schedule$=":${SCHEDULE}"]`
  );
  await expect(item).toBeVisible();
  await expect(item.locator('.jp-lakebook-Schedules-cron')).toContainText(
    'At 07:00, Monday through Friday'
  );
  await expect(item.locator('.jp-lakebook-Schedules-cron')).toContainText(
    '(Europe/Paris)'
  );
  await expect(item.locator('.jp-lakebook-Schedules-notebook')).toHaveText(
    notebook
  );
  await expect(item.locator('.jp-lakebook-Schedules-parameters')).toHaveText(
    'limit=25'
  );
  await expect(item.locator('.jp-lakebook-Schedules-next')).not.toHaveText('—');
  const section = page.locator('.jp-lakebook-Schedules');
  await section.screenshot(screenshot('lab-sidebar-schedules.png'));

  // The same name again: the gateway's refusal shows in the dialog, which keeps the input.
  const again = await openScheduleDialog(page);
  await again.locator('#root_limit').fill('3');
  await again.locator('.jp-Dialog-button.jp-mod-accept').click();
  const refusal = again.locator('.jp-lakebook-ScheduleForm-error');
  await expect(refusal).toContainText(
    `already have a schedule named '${SCHEDULE}'`
  );
  await expect(again.locator('#root_limit')).toHaveValue('3');
  await again.locator('.jp-Dialog-button.jp-mod-reject').click();
  await expect(again).toBeHidden();

  // Pause, then resume.
  await item.getByRole('button', { name: `Pause ${SCHEDULE}` }).click();
  await expect(item).toHaveAttribute('data-active', 'false');
  await expect(item.locator('.jp-lakebook-Schedules-state')).toHaveText(
    'Paused'
  );
  await expect(item.locator('.jp-lakebook-Schedules-next')).toHaveText('—');
  await item.getByRole('button', { name: `Resume ${SCHEDULE}` }).click();
  await expect(item).toHaveAttribute('data-active', 'true');
  await expect(item.locator('.jp-lakebook-Schedules-next')).not.toHaveText('—');
  // Still the same notebook and parameters (Prefect used to drop them on an update).
  await expect(item.locator('.jp-lakebook-Schedules-notebook')).toHaveText(
    notebook
  );
  await expect(item.locator('.jp-lakebook-Schedules-parameters')).toHaveText(
    'limit=25'
  );

  // The same views in the dark theme.
  await page.theme.setDarkTheme();
  await expect(item).toBeVisible();
  await section.screenshot(screenshot('lab-sidebar-schedules-dark.png'));
  const dark = await openScheduleDialog(page);
  await dark.screenshot(screenshot('lab-sidebar-schedule-dialog-dark.png'));
  await dark.locator('.jp-Dialog-button.jp-mod-reject').click();
  await page.theme.setLightTheme();

  // Delete asks first; cancelling keeps the schedule.
  await item.getByRole('button', { name: `Delete ${SCHEDULE}` }).click();
  const confirm = page
    .locator('.jp-Dialog')
    .filter({ hasText: 'Delete the schedule' });
  await confirm.locator('.jp-Dialog-button.jp-mod-reject').click();
  await expect(item).toBeVisible();
  await item.getByRole('button', { name: `Delete ${SCHEDULE}` }).click();
  await confirm.locator('.jp-Dialog-button.jp-mod-warn').click();
  await expect(item).toHaveCount(0);
});
