// The emulator as `npm start` embeds it in workerd: signed Secrets Manager calls answered by an
// emulator on a KV binding (EMULATOR_KV), so its secrets outlive the isolate.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createEmulator, EmulatorKvStore } from '../../../src/emulator/index.js'
import { type CallOptions, ok, readResult, signedRequest, token } from '../../support/call.js'

let counter = 0
const uniqueName = (label: string) => `worker/${label}-${++counter}-${crypto.randomUUID()}`

const served = createEmulator({ store: new EmulatorKvStore(env.EMULATOR_KV) })

/** Signs one call and sends it to the KV-backed emulator, returning status, headers and body. */
async function send(operation: string, input: unknown, options: CallOptions = {}) {
  const request = await signedRequest(operation, input, options)
  const { status, headers, body } = await readResult(await served.fetch(request))
  return { status, headers, body: body as Record<string, unknown> }
}

describe('emulator on Workers KV', () => {
  describe('fetch', () => {
    it('creates a secret and reads it back', async () => {
      const Name = uniqueName('round-trip')
      const ClientRequestToken = token()
      const created = await send('CreateSecret', {
        Name,
        SecretString: 'from the worker',
        ClientRequestToken,
      })
      expect(created.status).toBe(200)
      expect(created.headers.get('content-type')).toBe('application/x-amz-json-1.1')
      expect(created.body).toMatchObject({ Name, VersionId: ClientRequestToken })

      const read = await send('GetSecretValue', { SecretId: Name })
      expect(read.status).toBe(200)
      expect(read.body).toMatchObject({
        ARN: created.body.ARN,
        Name,
        SecretString: 'from the worker',
        VersionStages: ['AWSCURRENT'],
      })
    })

    it('keeps its secrets in the EMULATOR_KV namespace', async () => {
      const Name = uniqueName('in-kv')
      await send('CreateSecret', { Name, SecretString: 'persisted', ClientRequestToken: token() })
      // A fresh emulator on the same binding (a restarted worker) sees it.
      const restarted = createEmulator({ store: new EmulatorKvStore(env.EMULATOR_KV) })
      expect((await ok(restarted, 'GetSecretValue', { SecretId: Name })).SecretString).toBe(
        'persisted'
      )
    })

    it('sees secrets written to EMULATOR_KV before it handled the request', async () => {
      const Name = uniqueName('seeded')
      const seeder = createEmulator({ store: new EmulatorKvStore(env.EMULATOR_KV) })
      await ok(seeder, 'CreateSecret', {
        Name,
        SecretString: 'seeded',
        ClientRequestToken: token(),
      })
      const read = await send('GetSecretValue', { SecretId: Name })
      expect(read.body.SecretString).toBe('seeded')
    })

    it('answers an unknown secret with the service error shape', async () => {
      const result = await send('GetSecretValue', { SecretId: uniqueName('absent') })
      expect(result.status).toBe(400)
      expect(result.body.__type).toBe('ResourceNotFoundException')
      expect(result.headers.get('x-amzn-ErrorType')).toBe('ResourceNotFoundException')
      expect(result.headers.get('x-amzn-RequestId')).toEqual(expect.any(String))
    })

    it('answers malformed JSON with SerializationException', async () => {
      const result = await send('CreateSecret', {}, { rawBody: '{"Name": "oops"' })
      expect(result.status).toBe(400)
      expect(result.body.__type).toBe('SerializationException')
    })
  })
})
