/**
 * The extension's service worker: answers `{ type: 'secret-keys', secretId }` messages with the
 * key names of that JSON secret (`{ keys }`) or an error code (`{ error }`), never the values.
 *
 * It reads its client options from `chrome.storage.local` under `aws`. Set them once from the
 * service worker's DevTools console (chrome://extensions → "service worker"):
 *
 * ```js
 * await chrome.storage.local.set({ aws: { region: 'us-east-1', endpoint: 'http://127.0.0.1:4566',
 *   credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } })
 * ```
 *
 * Anyone using the browser profile can read what an extension stores: give it short-lived,
 * read-only credentials.
 *
 * @module
 */
import {
  isSecretsManagerError,
  SecretsManagerClient,
  type SecretsManagerClientOptions,
} from 'edge-secrets/client'

/** A message from the popup. */
export interface SecretKeysRequest {
  type: 'secret-keys'
  secretId: string
}

/** The answer to a {@link SecretKeysRequest}. */
export type SecretKeysReply = { keys: string[] } | { error: string }

chrome.runtime.onMessage.addListener((message, _sender, sendResponse) => {
  const request = message as Partial<SecretKeysRequest> | undefined
  if (request?.type !== 'secret-keys' || typeof request.secretId !== 'string') return false
  secretKeys(request.secretId).then(sendResponse)
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
