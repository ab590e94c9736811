/**
 * What the side panel's specs share: the panel's id, a readiness check that needs only the
 * shell, and screenshots of a part of the panel in both themes.
 */
import * as path from 'path';

import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Locator, Page } from '@playwright/test';

import { ARTIFACTS_DIR } from '../playwright.config';

export const PANEL_ID = 'lakebook-status-panel';

/**
 * Galata's default readiness check waits for a Launcher tab, which a restored layout does not
 * always bring back after a test that switched themes; the panel's tests only need the shell:
 * `test.use({ waitForApplication: async ({}, use) => use(shellIsReady) })`.
 */
export async function shellIsReady(page: Page): Promise<void> {
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  await page.locator(`.jp-SideBar [data-id="${PANEL_ID}"]`).waitFor();
}

/**
 * `target` in both themes, saved as lab-panel-{name}-{light,dark}.png.
 */
export async function panelScreenshots(
  page: IJupyterLabPageFixture,
  target: Locator,
  name: string
): Promise<void> {
  await target.screenshot({
    path: path.join(ARTIFACTS_DIR, `lab-panel-${name}-light.png`)
  });
  await page.theme.setDarkTheme();
  await target.screenshot({
    path: path.join(ARTIFACTS_DIR, `lab-panel-${name}-dark.png`)
  });
  await page.theme.setLightTheme();
}
