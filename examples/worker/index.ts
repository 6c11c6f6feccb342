/**
 * A Cloudflare Worker that reads a JSON secret with `edge-secrets/client` and answers with the
 * secret's key names, never its values: a check that the secret is there and has the right shape.
 *
 * Vars: `AWS_REGION`, `SECRET_ID`. Secrets: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`
 * (`wrangler secret put …`, or `.dev.vars` locally), optionally `AWS_SESSION_TOKEN` and
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER` (the emulator: `http://127.0.0.1:4566`).
 *
 * @module
 */
import { fromEnv, isSecretsManagerError, SecretsManagerClient } from 'edge-secrets/client'

interface Env {
  AWS_REGION: string
  AWS_ACCESS_KEY_ID: string
  AWS_SECRET_ACCESS_KEY: string
  AWS_SESSION_TOKEN?: string
  AWS_ENDPOINT_URL_SECRETS_MANAGER?: string
  /** The secret to read, e.g. `prod/app/db`. */
  SECRET_ID: string
}

// One client per isolate, so the signing key is derived once a day rather than per request.
let client: SecretsManagerClient | undefined

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    client ??= new SecretsManagerClient(fromEnv(env))
    try {
      const secret = await client.getSecretJson<Record<string, unknown>>(env.SECRET_ID)
      return Response.json({ secret: env.SECRET_ID, keys: Object.keys(secret).sort() })
    } catch (e) {
      // The code (e.g. ResourceNotFoundException, InvalidJsonError) never quotes the value.
      if (!isSecretsManagerError(e)) throw e
      const status = e.code === 'ResourceNotFoundException' ? 404 : 502
      return Response.json({ secret: env.SECRET_ID, error: e.code }, { status })
    }
  },
}
