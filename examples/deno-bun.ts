/**
 * Reads a JSON secret with `edge-secrets/client` and prints its key names, never its values.
 * The same file runs on Deno and on Bun; `fromEnv()` reads `Deno.env` or `Bun.env`.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-env examples/deno-bun.ts demo/app
 * bun examples/deno-bun.ts demo/app
 * ```
 *
 * Environment: `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, optionally
 * `AWS_SESSION_TOKEN` and `AWS_ENDPOINT_URL_SECRETS_MANAGER` (the emulator:
 * `http://127.0.0.1:4566`). Against AWS, allow its host instead:
 * `--allow-net=secretsmanager.us-east-1.amazonaws.com`.
 *
 * @module
 */
import { fromEnv, isSecretsManagerError, SecretsManagerClient } from 'edge-secrets/client'

// Deno 2 and Bun both provide Node's `process`; argv[2] is the first argument after the script.
const secretId = process.argv[2]
if (secretId === undefined) {
  console.error('usage: deno-bun.ts <secret-id>')
  process.exit(2)
}

const sm = new SecretsManagerClient(fromEnv())
try {
  const secret = await sm.getSecretJson<Record<string, unknown>>(secretId)
  console.log(JSON.stringify({ secret: secretId, keys: Object.keys(secret).sort() }))
} catch (e) {
  // The code (e.g. ResourceNotFoundException, InvalidJsonError) never quotes the value.
  if (!isSecretsManagerError(e)) throw e
  console.error(`${secretId}: ${e.code}`)
  process.exit(1)
}
