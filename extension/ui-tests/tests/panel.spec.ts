/**
 * The lakebook side panel against a real gateway (with Prefect and a runner behind it), in the
 * light and the dark theme. LAKEBOOK_UI_GATEWAY_SWITCH cuts and restores Lab's way to the gateway.
 */

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { panelScreenshots, PANEL_ID, shellIsReady } from './panelHelpers';

const PANEL = `#${PANEL_ID}`;
const GATEWAY_SWITCH = process.env.LAKEBOOK_UI_GATEWAY_SWITCH ?? '';

test.use({ waitForApplication: async ({}, use) => use(shellIsReady) });

async function openPanel(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.sidebar.openTab(PANEL_ID);
  const panel = page.locator(PANEL);
  await expect(panel).toBeVisible();
  await expect(panel.locator('.jp-lakebook-Header-status')).toHaveText(
    'Gateway connected'
  );
  return panel;
}

/** How many ping runs the signed-in user has, asked of the server (not of a list still loading). */
async function pingRuns(page: IJupyterLabPageFixture): Promise<number> {
  const response = await page.request.get('lakebook/runs?flow=ping&limit=200');
  expect(response.ok()).toBe(true);
  return ((await response.json()) as unknown[]).length;
}

async function chooseFlow(panel: Locator, flow: string): Promise<void> {
  await panel.locator('.jp-lakebook-Launch-flow select').selectOption(flow);
  await expect(
    panel.getByRole('form', { name: `Parameters of ${flow}` })
  ).toBeVisible();
}

test('the panel shows the gateway, who is signed in and the flows', async ({
  page
}) => {
  const panel = await openPanel(page);

  await expect(panel.locator('.jp-lakebook-Header-who')).toBeVisible();
  const flows = panel.locator('.jp-lakebook-Launch-flow option');
  for (const flow of ['ping', 'ingest_upload', 'transform_dataset']) {
    await expect(flows.filter({ hasText: flow })).toHaveCount(1);
  }
  await expect(panel.locator('.jp-lakebook-Error')).toHaveCount(0);
  await expect(panel.locator('.jp-lakebook-Unreachable')).toHaveCount(0);
  await panelScreenshots(page, panel, 'signed-in');
});

test('the launch form of transform_dataset has the nested spec fields', async ({
  page
}) => {
  const panel = await openPanel(page);
  await chooseFlow(panel, 'transform_dataset');
  const form = panel.getByRole('form', {
    name: 'Parameters of transform_dataset'
  });
  // The spec is an object of lists of objects: each a nested field set of its own.
  await expect(form.locator('fieldset fieldset').first()).toBeVisible();
  await expect(form).toContainText('Inputs');
  await expect(form).toContainText('Steps');
  await panelScreenshots(page, panel, 'launch-transform');
});

test('launching ping from its form reaches Completed without a reload', async ({
  page
}) => {
  const panel = await openPanel(page);
  await chooseFlow(panel, 'ping');
  const runs = panel.locator('.jp-lakebook-Runs-list > li');
  await expect(panel.locator('.jp-lakebook-Runs')).toBeVisible();
  const before = await runs.count();

  await panel.locator('#root_message').fill('from the UI test');
  await panel.locator('.jp-lakebook-Launch-submit').click();

  const launched = panel.locator('.jp-lakebook-Launch-done');
  await expect(launched).toContainText('Launched run');
  const prefix = ((await launched.textContent()) ?? '').split(' ').pop()!;
  const row = panel.locator(`.jp-lakebook-Run[data-run-id^="${prefix}"]`);
  await expect(row.locator('.jp-lakebook-Run-flow')).toHaveText('ping');
  await expect(row.locator('.jp-lakebook-StateBadge')).toHaveText('Completed', {
    timeout: 90_000
  });
  expect(await runs.count()).toBeGreaterThanOrEqual(before + 1);
  await expect(panel.locator('.jp-lakebook-Error')).toHaveCount(0);
  await panelScreenshots(
    page,
    panel.locator('.jp-lakebook-RunsSection'),
    'runs'
  );
});

test('the launch form is reachable and usable from the keyboard, in reading order', async ({
  page
}) => {
  const panel = await openPanel(page);
  await chooseFlow(panel, 'ping');
  await panel.locator('.jp-lakebook-Launch-flow select').focus();

  // Where each Tab lands, as a selector-like name, until Launch (bounded).
  const visited: string[] = [];
  for (let step = 0; step < 15; step++) {
    await page.keyboard.press('Tab');
    const where = await page.evaluate(() => {
      const active = document.activeElement as HTMLElement | null;
      if (!active) {
        return '';
      }
      return active.id
        ? `#${active.id}`
        : `.${Array.from(active.classList).join('.')}`;
    });
    visited.push(where);
    if (where.includes('jp-lakebook-Launch-submit')) {
      break;
    }
  }
  const message = visited.indexOf('#root_message');
  const launch = visited.findIndex(name =>
    name.includes('jp-lakebook-Launch-submit')
  );
  expect(message, visited.join(' → ')).toBeGreaterThanOrEqual(0);
  expect(launch, visited.join(' → ')).toBeGreaterThan(message);

  // Typing and Enter on Launch launch the run, as a click does.
  await panel.locator('#root_message').focus();
  await page.keyboard.type('typed at the keyboard');
  await panel.locator('.jp-lakebook-Launch-submit').focus();
  await page.keyboard.press('Enter');
  await expect(panel.locator('.jp-lakebook-Launch-done')).toContainText(
    'Launched run'
  );
});

test('a bad parameter shows its error on the field, and no run', async ({
  page
}) => {
  const panel = await openPanel(page);
  await chooseFlow(panel, 'ping');
  const before = await pingRuns(page);
  const submit = panel.locator('.jp-lakebook-Launch-submit');
  await expect(submit).toBeEnabled();

  // The form checks the schema as one types: the error sits on its field, Launch is off.
  await panel.locator('#root_wait_seconds').fill('9999');
  const field = panel
    .locator('.jp-lakebook-ParametersForm .form-group')
    .filter({ has: page.locator('#root_wait_seconds') })
    .last(); // the field's own group, inside the form's
  await expect(field).toContainText('600');
  await expect(submit).toBeDisabled();
  await panelScreenshots(page, panel, 'bad-parameter');

  // The gateway checks again what reaches it: its 422 names the field, no run is made.
  const refused = await page.evaluate(async () => {
    try {
      await window.jupyterapp.commands.execute('lakebook:launch-flow', {
        flow: 'ping',
        parameters: { wait_seconds: 9999 }
      });
      return 'launched';
    } catch (error) {
      const { message, fields } = error as {
        message: string;
        fields: { field: string }[];
      };
      return `${message} | ${fields.map(f => f.field).join(',')}`;
    }
  });
  expect(refused).toContain('invalid parameters');
  expect(refused).toContain('wait_seconds');
  expect(refused).not.toContain('Traceback');

  await panel.locator('#root_wait_seconds').fill('0');
  await expect(submit).toBeEnabled();
  await expect(field).not.toContainText('600');
  expect(await pingRuns(page)).toBe(before);
});

test('the gateway going away shows one unreachable state, then recovers by itself', async ({
  page,
  request
}) => {
  expect(GATEWAY_SWITCH, 'LAKEBOOK_UI_GATEWAY_SWITCH is not set').not.toBe('');
  const panel = await openPanel(page);
  const status = panel.locator('.jp-lakebook-Header-status');
  try {
    expect((await request.post(`${GATEWAY_SWITCH}/down`)).status()).toBe(204);
    await panel.locator('.jp-lakebook-Header-refresh').click();
    const unreachable = panel.locator('.jp-lakebook-Unreachable');
    await expect(unreachable).toBeVisible();
    await expect(status).toHaveText('Gateway unreachable');
    // One state: no "connected" line, no sections (Launch, Runs) beside the error.
    await expect(panel.getByText('Gateway connected')).toHaveCount(0);
    await expect(panel.locator('.jp-lakebook-Launch')).toBeHidden();
    await expect(
      unreachable.locator('.jp-lakebook-Unreachable-retry')
    ).toBeVisible();
    await panelScreenshots(page, panel, 'unreachable');
  } finally {
    await request.post(`${GATEWAY_SWITCH}/up`);
  }
  // No click: the back-off re-check finds the gateway again.
  await expect(status).toHaveText('Gateway connected', { timeout: 60_000 });
  await expect(panel.locator('.jp-lakebook-Launch-flow')).toBeVisible();
});
