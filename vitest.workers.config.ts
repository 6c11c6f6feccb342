import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineProject } from 'vitest/config'

export default defineProject({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      // Test-only bindings: the emulator's namespace, and a tight limiter for the 429 tests.
      miniflare: {
        kvNamespaces: ['EMULATOR_KV'],
        ratelimits: { TEST_LIMITER: { simple: { limit: 3, period: 60 } } },
      },
    }),
  ],
  test: { name: 'workers', include: ['test/worker/**/*.test.ts'] },
})
