// Unit tests of the panel's plain TypeScript state (src/model): no browser, no JupyterLab.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node'
  }
});
