/**
 * Galata/Playwright configuration of lakebook's UI tests.
 *
 * The tests never start servers: tests/lab/test_ui_galata.py starts Prefect, a runner, the gateway
 * and JupyterLab, then runs `npx playwright test` with LAKEBOOK_UI_LAB_URL and LAKEBOOK_UI_LAB_TOKEN.
 * The browser is Debian's Chromium (browser downloads fail here); Playwright gives every launch a
 * fresh temporary profile (user-data-dir), so no state leaks between runs.
 */
import * as path from 'path';

import { defineConfig } from '@playwright/test';

const labUrl = process.env.LAKEBOOK_UI_LAB_URL ?? 'http://127.0.0.1:8888';
const labToken = process.env.LAKEBOOK_UI_LAB_TOKEN ?? '';

export const ARTIFACTS_DIR =
  process.env.LAKEBOOK_UI_ARTIFACTS ??
  path.resolve(__dirname, '..', '..', 'test-artifacts');

export default defineConfig({
  testDir: './tests',
  outputDir: path.join(ARTIFACTS_DIR, 'playwright'),
  // One Lab and one gateway are shared: tests run one after another.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 60_000 },
  reporter: [['list']],
  use: {
    baseURL: labUrl,
    // Jupyter accepts its token as a header on pages, API calls and websockets alike.
    extraHTTPHeaders: labToken ? { Authorization: `token ${labToken}` } : {},
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'off',
    video: 'off',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  }
});
