/**
 * The extension's service worker. It answers two messages from the popup, and never puts a
 * credential in a reply:
 *
 * - `{ type: 'secret-keys', secretId }` (direct mode): reads the JSON secret from Secrets Manager
 *   with the client and answers with its key names (`{ keys }`), never the values, or an error
 *   code (`{ error }`). Its client options are in `chrome.storage.local` under `aws`.
 * - `{ type: 'worker-secret', secretId }` (worker mode): reads the secret through the
 *   edge-secrets worker with a scoped `esk_` token and answers with its value (`{ value }`) or the
 *   worker's status and error type (`{ status, error }`, such as 403 AccessDeniedException for a
 *   secret outside the token's grant). Its settings are in `chrome.storage.local` under `worker`.
 *
 * Set them once from the service worker's DevTools console (chrome://extensions → "service
 * worker"):
 *
 * ```js
 * await chrome.storage.local.set({ aws: { region: 'us-east-1', endpoint: 'http://127.0.0.1:4566',
 *   credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } })
 * await chrome.storage.local.set({ worker: { url: 'http://127.0.0.1:8787', token: 'esk_…' } })
 * ```
 *
 * Anyone using the browser profile can read what an extension stores: give it short-lived,
 * read-only credentials, or a token whose grant reads only the secrets the extension needs. A
 * worker on an origin outside `host_permissions` must list this extension's origin
 * (`chrome-extension://<id>`) in its `CORS_ORIGINS`.
 *
 * @module
 */
import {
  isSecretsManagerError,
  SecretsManagerClient,
  type SecretsManagerClientOptions,
} from 'edge-secrets/client'

/** A message from the popup: the key names of a JSON secret, read with the client. */
export interface SecretKeysRequest {
  type: 'secret-keys'
  secretId: string
}

/** The answer to a {@link SecretKeysRequest}. */
export type SecretKeysReply = { keys: string[] } | { error: string }

/** A message from the popup: a secret's value, read through the edge-secrets worker. */
export interface WorkerSecretRequest {
  type: 'worker-secret'
  secretId: string
}

/**
 * The answer to a {@link WorkerSecretRequest}: the `SecretString` (or the base64 `SecretBinary`),
 * or the worker's HTTP status and `__type` (status 0 when there was no answer).
 */
export type WorkerSecretReply = { value: string } | { status: number; error: string }

/** Worker mode's settings, in `chrome.storage.local` under `worker`. */
export interface WorkerSettings {
  /** The worker's base URL, such as `http://127.0.0.1:8787`. */
  url: string
  /** A bearer token (`esk_…`) from `npm run token`. */
  token?: string
}

// What the worker's GET /v1/secrets/{id} answers: the value, or { __type, message }.
interface WorkerAnswer {
  SecretString?: string
  SecretBinary?: string
  __type?: string
}

chrome.runtime.onMessage.addListener((message, _sender, sendResponse) => {
  const request = message as Partial<SecretKeysRequest | WorkerSecretRequest> | undefined
  if (typeof request?.secretId !== 'string') return false
  if (request.type === 'secret-keys') secretKeys(request.secretId).then(sendResponse)
  else if (request.type === 'worker-secret') workerSecret(request.secretId).then(sendResponse)
  else return false
  return true // answers asynchronously
})

async function secretKeys(secretId: string): Promise<SecretKeysReply> {
  const { aws } = (await chrome.storage.local.get('aws')) as { aws?: SecretsManagerClientOptions }
  if (aws === undefined) return { error: 'NotConfigured' }
  try {
    const sm = new SecretsManagerClient(aws)
    const secret = await sm.getSecretJson<Record<string, unknown>>(secretId)
    return { keys: Object.keys(secret).sort() }
  } catch (e) {
    // The code (e.g. ResourceNotFoundException, InvalidJsonError) never quotes the value.
    return { error: isSecretsManagerError(e) ? e.code : String(e) }
  }
}

async function workerSecret(secretId: string): Promise<WorkerSecretReply> {
  const { worker } = (await chrome.storage.local.get('worker')) as { worker?: WorkerSettings }
  if (worker === undefined) return { status: 0, error: 'NotConfigured' }
  // The worker takes the rest of the path as the id and percent-decodes it once: each segment is
  // encoded, and the slashes between them stay.
  const path = secretId.split('/').map(encodeURIComponent).join('/')
  let response: Response
  try {
    // Without a token the request goes unauthenticated, and the worker says what is missing.
    response = await fetch(`${worker.url.replace(/\/+$/, '')}/v1/secrets/${path}`, {
      headers: worker.token ? { Authorization: `Bearer ${worker.token}` } : {},
    })
  } catch {
    // Unreachable, or refused by CORS: the worker's CORS_ORIGINS lacks this extension's origin.
    return { status: 0, error: 'NetworkError' }
  }
  const answer = (await response.json().catch(() => ({}))) as WorkerAnswer
  if (response.ok) {
    const value = answer.SecretString ?? answer.SecretBinary
    if (value !== undefined) return { value }
  }
  return { status: response.status, error: answer.__type ?? 'UnexpectedAnswer' }
}
