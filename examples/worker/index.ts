/**
 * A Cloudflare Worker that reads a JSON secret through `edge-secrets/cache` (memory, then an
 * encrypted Workers KV tier, then Secrets Manager through `edge-secrets/client`) and answers with
 * the secret's key names, never its values: a check that the secret is there and has the right
 * shape. Every isolate makes at most one Secrets Manager call per refresh; the others are served
 * from memory or KV.
 *
 * Vars: `AWS_REGION`, `SECRET_ID`. KV: `SECRETS_CACHE`. Secrets: `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `CACHE_ENCRYPTION_KEY` (`openssl rand -base64 32`) (`wrangler secret
 * put …`, or `.dev.vars` locally), optionally `AWS_SESSION_TOKEN` and
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER` (the emulator: `http://127.0.0.1:4566`).
 *
 * @module
 */
import { type KvNamespaceLike, KvStore, SecretCache } from 'edge-secrets/cache'
import { fromEnv, isSecretsManagerError, SecretsManagerClient } from 'edge-secrets/client'

interface Env {
  AWS_REGION: string
  AWS_ACCESS_KEY_ID: string
  AWS_SECRET_ACCESS_KEY: string
  AWS_SESSION_TOKEN?: string
  AWS_ENDPOINT_URL_SECRETS_MANAGER?: string
  /** Base64 of 32 random bytes: the key KV entries are encrypted with. */
  CACHE_ENCRYPTION_KEY: string
  /** A KV namespace (`KVNamespace` in a typed Worker). */
  SECRETS_CACHE: KvNamespaceLike
  /** The secret to read, e.g. `prod/app/db`. */
  SECRET_ID: string
}

interface Context {
  waitUntil(promise: Promise<unknown>): void
}

// One cache (and client) per isolate, made from the bindings on first use.
let cache: SecretCache | undefined

export default {
  async fetch(_request: Request, env: Env, ctx: Context): Promise<Response> {
    cache ??= new SecretCache({
      client: new SecretsManagerClient(fromEnv(env)),
      store: new KvStore(env.SECRETS_CACHE, { encryptionKeys: [env.CACHE_ENCRYPTION_KEY] }),
    })
    try {
      // Refreshes and KV writes run after the response, kept alive by waitUntil.
      const secret = await cache.getSecretJson<Record<string, unknown>>(env.SECRET_ID, {
        waitUntil: (promise) => ctx.waitUntil(promise),
      })
      return Response.json({ secret: env.SECRET_ID, keys: Object.keys(secret).sort() })
    } catch (e) {
      // The code (e.g. ResourceNotFoundException, InvalidJsonError) never quotes the value.
      if (!isSecretsManagerError(e)) throw e
      const status = e.code === 'ResourceNotFoundException' ? 404 : 502
      return Response.json({ secret: env.SECRET_ID, error: e.code }, { status })
    }
  },
}
