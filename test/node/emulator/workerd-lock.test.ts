// The emulator's operation lock in workerd, across separate requests (Miniflare). In workerd a
// promise created while serving one request never settles for another once the first has ended,
// so a request cancelled while it holds the lock must not leave the others waiting on it.
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signedRequest, token } from '../../support/call.js'
import { REPO_ROOT } from '../../support/child-process.js'
import { bundleForWorkerd } from '../../support/workerd-bundle.js'

// A worker whose store never finishes writing a secret named `hang/…`: workerd cancels that
// request as hung while it holds the lock. Other writes go to memory as usual.
const WORKER = `
import { createEmulator, EmulatorMemoryStore } from './src/emulator/index.ts'

class HangingStore extends EmulatorMemoryStore {
  put(key, secret) {
    return secret.Name.startsWith('hang/') ? new Promise(() => {}) : super.put(key, secret)
  }
}

const emulator = createEmulator({ store: new HangingStore(), lockWaitMs: 200 })
export default { fetch: (request) => emulator.fetch(request) }
`

const TIMEOUT_MS = 20_000
// Without a way out, a request waits for ever; this bound turns that into a failure.
const SEND_TIMEOUT_MS = 5_000

let mf: Miniflare | undefined

/** Signs one call and sends it to the worker as its own request. */
async function send(operation: string, input: unknown) {
  if (!mf) throw new Error('Miniflare did not start')
  const request = await signedRequest(operation, input)
  const response = await mf.dispatchFetch(request.url, {
    method: request.method,
    headers: [...request.headers],
    body: await request.text(),
    signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
  })
  const text = await response.text()
  return { status: response.status, text }
}

beforeAll(async () => {
  const script = await bundleForWorkerd(WORKER, REPO_ROOT)
  mf = new Miniflare({ modules: true, script, compatibilityDate: '2026-04-26', cf: false })
  await mf.ready
}, TIMEOUT_MS)

afterAll(async () => {
  await mf?.dispose()
})

describe('createEmulator in workerd', () => {
  describe('its operation lock', () => {
    it(
      'is not left held by a request that was cancelled while holding it',
      async () => {
        const hung = await send('CreateSecret', {
          Name: 'hang/one',
          SecretString: 'x',
          ClientRequestToken: token(),
        })
        expect(hung.status).toBe(500)
        expect(hung.text).toContain('hung')

        // The next request waits for the lost holder only a bounded time, then goes ahead.
        const Name = `after/${crypto.randomUUID()}`
        const created = await send('CreateSecret', {
          Name,
          SecretString: 'written after the hang',
          ClientRequestToken: token(),
        })
        expect(created.status).toBe(200)

        // And it released the lock: the next ones go through too.
        const [read, listed] = await Promise.all([
          send('GetSecretValue', { SecretId: Name }),
          send('ListSecrets', {}),
        ])
        expect(read.status).toBe(200)
        expect(JSON.parse(read.text).SecretString).toBe('written after the hang')
        expect(listed.status).toBe(200)
      },
      TIMEOUT_MS
    )
  })
})
