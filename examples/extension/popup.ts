/**
 * The popup: asks the service worker for a secret's key names (direct mode, with the client) or
 * its value (worker mode, through the edge-secrets worker) and shows the answer.
 *
 * @module
 */
import type {
  SecretKeysReply,
  SecretKeysRequest,
  WorkerSecretReply,
  WorkerSecretRequest,
} from './background.js'

const form = document.querySelector<HTMLFormElement>('#lookup')
const mode = document.querySelector<HTMLSelectElement>('#mode')
const input = document.querySelector<HTMLInputElement>('#secret-id')
const result = document.querySelector<HTMLOutputElement>('#result')
if (form === null || mode === null || input === null || result === null) {
  throw new Error('popup.html changed')
}

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  result.textContent = '…'
  result.textContent =
    mode.value === 'worker' ? await viaWorker(input.value) : await keys(input.value)
})

async function keys(secretId: string): Promise<string> {
  const request: SecretKeysRequest = { type: 'secret-keys', secretId }
  const reply = await chrome.runtime.sendMessage<SecretKeysReply>(request)
  return 'keys' in reply ? reply.keys.join(', ') : reply.error
}

async function viaWorker(secretId: string): Promise<string> {
  const request: WorkerSecretRequest = { type: 'worker-secret', secretId }
  const reply = await chrome.runtime.sendMessage<WorkerSecretReply>(request)
  if ('value' in reply) return reply.value
  return reply.status === 0 ? reply.error : `${reply.status} ${reply.error}`
}
