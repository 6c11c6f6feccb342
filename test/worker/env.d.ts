// Bindings the workers test project adds to wrangler.toml's (vitest.workers.config.ts).
declare namespace Cloudflare {
  interface Env {
    EMULATOR_KV: KVNamespace
    TEST_LIMITER: RateLimit
  }
}
