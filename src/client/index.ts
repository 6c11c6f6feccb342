/**
 * `edge-secrets/client`: a dependency-light AWS Secrets Manager client over `fetch`, for
 * Cloudflare Workers, Deno, Bun, Node 20+ and browsers. It signs with its own SigV4 code (no
 * dependencies), retries like the AWS SDKs' standard mode, and uses the AWS member names
 * unchanged.
 *
 * @example
 * ```ts
 * import { fromEnv, isSecretsManagerError, SecretsManagerClient } from 'edge-secrets/client'
 *
 * const sm = new SecretsManagerClient(fromEnv(env))
 * try {
 *   const db = await sm.getSecretJson<{ password: string }>('prod/app/db')
 * } catch (e) {
 *   if (isSecretsManagerError(e, 'ResourceNotFoundException')) return new Response(null, { status: 404 })
 *   throw e
 * }
 * ```
 *
 * @module
 */

export { SecretsManagerClient } from './client.js'
export { fromEnv } from './env.js'
export type { SecretsManagerErrorCode, SecretsManagerErrorInit } from './errors.js'
export { isSecretsManagerError, SecretsManagerError } from './errors.js'
export { createSecretReader, type SecretReader } from './read.js'
export type * from './types.js'
