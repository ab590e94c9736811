/**
 * Signing in and out in the panel, against the real gateway: the Jupyter server exchanges the
 * password for gateway tokens and keeps them (the browser never sees one). Runs last (files
 * run in name order, one worker): afterwards this Lab acts as the user signed in here.
 * LAKEBOOK_UI_USER / LAKEBOOK_UI_PASSWORD name an analyst made for this test.
 */

import { expect, test } from '@jupyterlab/galata';

import { panelScreenshots, PANEL_ID, shellIsReady } from './panelHelpers';

const USER = process.env.LAKEBOOK_UI_USER ?? '';
const PASSWORD = process.env.LAKEBOOK_UI_PASSWORD ?? '';

test.use({ waitForApplication: async ({}, use) => use(shellIsReady) });

test('signing out shows the form; a wrong password is refused; signing in shows the user', async ({
  page
}) => {
  expect(USER, 'LAKEBOOK_UI_USER is not set').not.toBe('');
  await page.sidebar.openTab(PANEL_ID);
  const panel = page.locator(`#${PANEL_ID}`);
  const who = panel.locator('.jp-lakebook-Header-who');
  await expect(who).toBeVisible();

  // A session of this user first (the command the form runs), so there is one to sign out of.
  await page.evaluate(
    ([username, password]) =>
      window.jupyterapp.commands.execute('lakebook:sign-in', {
        username,
        password
      }),
    [USER, PASSWORD]
  );
  await expect(who).toHaveText(`Signed in as ${USER} (analyst)`);

  await panel.locator('.jp-lakebook-Header-signOut').click();
  const form = panel.getByRole('form', {
    name: 'Sign in to the lakebook gateway'
  });
  await expect(form).toBeVisible();
  await expect(form.locator('.jp-lakebook-SignIn-note')).toContainText(
    'you signed out'
  );
  // Signed out, the sections are hidden behind the form: nothing acts as anybody.
  await expect(panel.locator('.jp-lakebook-LaunchSection')).toBeHidden();

  const fields = form.locator('input');
  await fields.nth(0).fill(USER);
  await fields.nth(1).fill('not-the-password');
  await form.locator('.jp-lakebook-SignIn-submit').click();
  const error = form.getByRole('alert');
  await expect(error).toBeVisible();
  await expect(error).not.toHaveText('');
  await expect(form).toBeVisible();
  await panelScreenshots(page, form, 'sign-in-refused');

  await fields.nth(1).fill(PASSWORD);
  await form.locator('.jp-lakebook-SignIn-submit').click();
  await expect(who).toHaveText(`Signed in as ${USER} (analyst)`);
  await expect(form).toBeHidden();
  await expect(panel.locator('.jp-lakebook-LaunchSection')).toBeVisible();
  await expect(panel.locator('.jp-lakebook-Header-signOut')).toBeVisible();
  await panelScreenshots(
    page,
    panel.locator('.jp-SidePanel-header'),
    'signed-in-as-user'
  );
});
