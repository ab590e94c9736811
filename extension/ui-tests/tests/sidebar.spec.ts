/**
 * The lakebook sidebar against a real gateway (with Prefect and a runner behind it).
 */
import * as path from 'path';

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { ARTIFACTS_DIR } from '../playwright.config';

const PANEL_ID = 'lakebook-status-panel';
const PANEL = `#${PANEL_ID}`;

async function openPanel(page: IJupyterLabPageFixture): Promise<void> {
  await page.sidebar.openTab(PANEL_ID);
  await expect(page.locator(PANEL)).toBeVisible();
}

async function launchPing(
  page: IJupyterLabPageFixture,
  parameters: string
): Promise<void> {
  await page
    .locator(`${PANEL} .jp-lakebook-FlowsPanel-params`)
    .fill(parameters);
  await page
    .locator(`${PANEL} li[data-flow="ping"] .jp-lakebook-FlowsPanel-launch`)
    .click();
}

function screenshot(name: string): { path: string } {
  return { path: path.join(ARTIFACTS_DIR, name) };
}

test('the sidebar lists the gateway and its deployments', async ({ page }) => {
  await openPanel(page);
  const panel = page.locator(PANEL);

  await expect(panel.locator('.jp-lakebook-StatusPanel-ok')).toHaveText('yes');
  for (const flow of ['ping', 'ingest_upload', 'transform_dataset']) {
    await expect(panel.locator(`li[data-flow="${flow}"]`)).toBeVisible();
  }
  await expect(panel.locator('.jp-lakebook-FlowsPanel-error')).toBeHidden();
  await panel.screenshot(screenshot('lab-sidebar-deployments.png'));
});

test('launching ping shows the run reaching Completed', async ({ page }) => {
  await openPanel(page);
  const panel = page.locator(PANEL);
  await expect(panel.locator('li[data-flow="ping"]')).toBeVisible();

  const runs = panel.locator('.jp-lakebook-FlowsPanel-runs li');
  const before = await runs.count();
  await launchPing(page, '{"message": "from the UI test"}');

  await expect(runs).toHaveCount(before + 1);
  const newest = runs.first();
  await expect(newest.locator('.jp-lakebook-FlowsPanel-runFlow')).toHaveText(
    'ping'
  );
  await expect(newest.locator('.jp-lakebook-FlowsPanel-runState')).toHaveText(
    'Completed',
    { timeout: 90_000 }
  );
  await expect(panel.locator('.jp-lakebook-FlowsPanel-error')).toBeHidden();
  await panel.screenshot(screenshot('lab-sidebar-run-completed.png'));
});

test('a bad parameter shows the gateway message, not a run', async ({
  page
}) => {
  await openPanel(page);
  const panel = page.locator(PANEL);
  await expect(panel.locator('li[data-flow="ping"]')).toBeVisible();
  const runs = panel.locator('.jp-lakebook-FlowsPanel-runs li');
  const before = await runs.count();

  await launchPing(page, '{"wait_seconds": 9999}');

  const error = panel.locator('.jp-lakebook-FlowsPanel-error');
  await expect(error).toBeVisible();
  await expect(error).toContainText('invalid parameters');
  await expect(error).toContainText('wait_seconds');
  await expect(error).not.toContainText('Traceback');
  await panel.screenshot(screenshot('lab-sidebar-bad-parameter.png'));

  await launchPing(page, '{not json');
  await expect(error).toContainText('parameters are not valid JSON');
  expect(await runs.count()).toBe(before);
});
