/**
 * The popup: asks the service worker for a secret's key names and shows them.
 *
 * @module
 */
import type { SecretKeysReply, SecretKeysRequest } from './background.js'

const form = document.querySelector<HTMLFormElement>('#lookup')
const input = document.querySelector<HTMLInputElement>('#secret-id')
const result = document.querySelector<HTMLOutputElement>('#result')
if (form === null || input === null || result === null) throw new Error('popup.html changed')

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  result.textContent = '…'
  const request: SecretKeysRequest = { type: 'secret-keys', secretId: input.value }
  const reply = await chrome.runtime.sendMessage<SecretKeysReply>(request)
  result.textContent = 'keys' in reply ? reply.keys.join(', ') : reply.error
})
