import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/** Browser tests (`npm run test:e2e`): they need Debian's Chromium, which `npm test` does not. */
export default defineConfig({
  resolve: base.resolve,
  test: { include: ['test/e2e/**/*.e2e.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});
