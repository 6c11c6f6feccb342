// The cache over the real client, signing real requests to the emulator (through msw): string
// and binary secrets, stages, versions, batches, faults and invalidation after a write.
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStore, SecretCache } from '../../../src/cache/index.js'
import { isSecretsManagerError } from '../../../src/client/index.js'
import { createEmulator } from '../../../src/emulator/index.js'
import { rejection, testClient } from '../../mocks/client.js'
import { ManualClock, WaitUntil } from '../../mocks/secrets-upstream.js'
import { CREDENTIALS, emulatorHandler, setupMockServer } from '../../mocks/server.js'

const emulator = createEmulator({ credentials: [CREDENTIALS] })
const server = setupMockServer(emulatorHandler(emulator))
const targets: string[] = []
server.events.on('request:start', ({ request }) => {
  targets.push(request.headers.get('x-amz-target')?.replace('secretsmanager.', '') ?? '')
})
afterEach(() => {
  emulator.clearFaults()
  targets.length = 0
})

const sm = testClient()
let counter = 0
const uniqueName = (label: string) => `cache/${label}/${++counter}-${crypto.randomUUID()}`
const HOUR = 3_600_000

describe('SecretCache over SecretsManagerClient and the emulator', () => {
  it('reads a string secret once and then from memory', async () => {
    const Name = uniqueName('string')
    const created = await sm.createSecret({ Name, SecretString: '{"password":"pw-1"}' })
    targets.length = 0
    const cache = new SecretCache({ client: sm })
    const reads = await Promise.all(Array.from({ length: 20 }, () => cache.getSecretJson(Name)))
    expect(reads.every((r) => (r as { password: string }).password === 'pw-1')).toBe(true)
    expect(targets).toEqual(['GetSecretValue'])
    const value = await cache.getSecretValue(Name)
    expect(value).toMatchObject({ ARN: created.ARN, Name, VersionStages: ['AWSCURRENT'] })
    expect(value.CreatedDate).toBeInstanceOf(Date)
    expect(value.VersionId).toBe(created.VersionId)
  })

  it('reads a binary secret as the same bytes, through memory and through a store', async () => {
    const Name = uniqueName('binary')
    const bytes = crypto.getRandomValues(new Uint8Array(300))
    await sm.createSecret({ Name, SecretBinary: bytes })
    const store = new MemoryStore()
    const first = new SecretCache({ client: sm, store })
    expect(await first.getSecretBinary(Name)).toEqual(bytes)
    expect(await first.getSecretBinary(Name)).toEqual(bytes)
    const error = await rejection(first.getSecretString(Name))
    expect(isSecretsManagerError(error, 'UnexpectedSecretTypeError')).toBe(true)
    targets.length = 0
    const second = new SecretCache({ client: sm, store })
    expect(await second.getSecretBinary(Name)).toEqual(bytes)
    expect(targets).toEqual([])
  })

  it('keeps stages and versions apart, and sees a new version after invalidate', async () => {
    const Name = uniqueName('stages')
    const v1 = await sm.createSecret({ Name, SecretString: 'one' })
    await sm.putSecretValue({ SecretId: Name, SecretString: 'two' })
    const cache = new SecretCache({ client: sm })
    expect(await cache.getSecretString(Name)).toBe('two')
    expect(await cache.getSecretString(Name, { VersionStage: 'AWSPREVIOUS' })).toBe('one')
    expect(await cache.getSecretString(Name, { VersionId: v1.VersionId as string })).toBe('one')
    await sm.putSecretValue({ SecretId: Name, SecretString: 'three' })
    expect(await cache.getSecretString(Name)).toBe('two')
    await cache.invalidate(Name)
    expect(await cache.getSecretString(Name)).toBe('three')
    expect(await cache.getSecretString(Name, { VersionId: v1.VersionId as string })).toBe('one')
  })

  it('serves the last good value while the service throttles, then recovers', async () => {
    const Name = uniqueName('throttle')
    await sm.createSecret({ Name, SecretString: 'good' })
    const clock = new ManualClock()
    const background = new WaitUntil()
    const client = testClient({ maxAttempts: 1 })
    const cache = new SecretCache({ client, now: clock.now, random: () => 0 })
    expect(await cache.getSecretString(Name)).toBe('good')
    clock.advance(HOUR)
    emulator.injectFault({ kind: 'throttle', operations: ['GetSecretValue'], count: 1 })
    await sm.putSecretValue({ SecretId: Name, SecretString: 'better' })
    expect(await cache.getSecretString(Name, { waitUntil: background.fn })).toBe('good')
    await background.settle()
    expect(cache.stats()).toMatchObject({ refreshFailures: 1, staleServed: 1 })
    clock.advance(1_001)
    await cache.getSecretString(Name, { waitUntil: background.fn })
    await background.settle()
    expect(await cache.getSecretString(Name)).toBe('better')
  })

  it('raises a missing secret as the service names it, and remembers it', async () => {
    const cache = new SecretCache({ client: sm })
    const Name = uniqueName('missing')
    targets.length = 0
    const error = await rejection(cache.getSecretString(Name))
    expect(isSecretsManagerError(error, 'ResourceNotFoundException')).toBe(true)
    await rejection(cache.getSecretString(Name))
    expect(targets).toEqual(['GetSecretValue'])
  })

  it('fills a batch with one BatchGetSecretValue call, matching names and ARNs', async () => {
    const a = uniqueName('batch-a')
    const b = uniqueName('batch-b')
    const createdB = await sm.createSecret({ Name: b, SecretString: 'B' })
    await sm.createSecret({ Name: a, SecretString: 'A' })
    const partialArn = (createdB.ARN as string).slice(0, -7)
    const missing = uniqueName('batch-missing')
    const cache = new SecretCache({ client: sm })
    targets.length = 0
    const result = await cache.getSecretValues([a, partialArn, missing])
    expect(targets).toEqual(['BatchGetSecretValue'])
    expect(result.SecretValues.map((e) => [e.SecretId, e.SecretString])).toEqual([
      [a, 'A'],
      [partialArn, 'B'],
    ])
    expect(result.Errors).toEqual([
      expect.objectContaining({ SecretId: missing, ErrorCode: 'ResourceNotFoundException' }),
    ])
    expect(await cache.getSecretString(a)).toBe('A')
    expect(targets).toEqual(['BatchGetSecretValue'])
  })
})
