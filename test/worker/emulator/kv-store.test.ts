// EmulatorKvStore on the real miniflare KV binding. Storage is shared by every test in this file, so each
// test works under its own key prefix or with its own secret names, and never counts what it did
// not write.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  createEmulator,
  type Emulator,
  EmulatorKvStore,
  type StoredSecret,
} from '../../../src/emulator/index.js'
import { amzDate, call, ok, token } from '../../support/call.js'

const kv = env.EMULATOR_KV

let counter = 0
/** A string unique within this file. */
const unique = (label: string) => `${label}-${++counter}-${crypto.randomUUID().slice(0, 8)}`

/** An emulator on the binding, as the worker builds one after a restart. */
const restart = (prefix?: string) =>
  createEmulator({
    store: prefix === undefined ? new EmulatorKvStore(kv) : new EmulatorKvStore(kv, prefix),
  })

/** Every KV key in the namespace that mentions `name`. */
async function kvKeysFor(name: string): Promise<string[]> {
  const found: string[] = []
  let cursor: string | undefined
  for (;;) {
    const page = await kv.list(cursor === undefined ? {} : { cursor })
    for (const key of page.keys) if (key.name.includes(name)) found.push(key.name)
    if (page.list_complete) return found
    cursor = page.cursor
  }
}

async function createString(emulator: Emulator, Name: string, SecretString: string) {
  return ok(emulator, 'CreateSecret', { Name, SecretString, ClientRequestToken: token() })
}

const toBase64 = (bytes: Uint8Array) => {
  let text = ''
  for (const byte of bytes) text += String.fromCharCode(byte)
  return btoa(text)
}

/** A whole stored secret, as the emulator writes one, for filling the store directly. */
function storedSecret(Name: string, SecretString: string, createdMs: number): StoredSecret {
  return {
    Region: 'us-east-1',
    ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${Name}-AbCdEf`,
    Name,
    CreatedDate: createdMs,
    LastChangedDate: createdMs,
    Versions: [
      {
        VersionId: crypto.randomUUID(),
        SecretString,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: createdMs,
      },
    ],
  }
}

/** Lists every name through ListSecrets pages of `MaxResults`, returning names and page count. */
async function listAll(emulator: Emulator, MaxResults: number) {
  const names: string[] = []
  let pages = 0
  let NextToken: string | undefined
  do {
    const page = await ok(emulator, 'ListSecrets', {
      MaxResults,
      SortBy: 'name',
      ...(NextToken !== undefined && { NextToken }),
    })
    expect(page.SecretList.length).toBeLessThanOrEqual(MaxResults)
    for (const secret of page.SecretList) names.push(secret.Name)
    NextToken = page.NextToken
    pages++
  } while (NextToken !== undefined)
  return { names, pages }
}

describe('EmulatorKvStore', () => {
  describe('constructor', () => {
    it('requires a namespace', () => {
      // @ts-expect-error: a JavaScript caller can still forget the binding
      expect(() => new EmulatorKvStore(undefined)).toThrow(TypeError)
    })
  })

  describe('persistence', () => {
    it('shows secrets written by one emulator to a fresh one on the same namespace', async () => {
      const Name = unique('kv/persisted')
      const first = restart()
      const created = await createString(first, Name, 'survives restarts')

      const second = restart()
      const read = await ok(second, 'GetSecretValue', { SecretId: Name })
      expect(read).toMatchObject({
        ARN: created.ARN,
        Name,
        VersionId: created.VersionId,
        SecretString: 'survives restarts',
        VersionStages: ['AWSCURRENT'],
      })
      expect((await ok(second, 'GetSecretValue', { SecretId: created.ARN })).Name).toBe(Name)
    })

    it('carries version history and stage labels across restarts', async () => {
      const Name = unique('kv/versions')
      const { VersionId: v1 } = await createString(restart(), Name, 'one')
      const v2 = token()
      await ok(restart(), 'PutSecretValue', {
        SecretId: Name,
        SecretString: 'two',
        ClientRequestToken: v2,
      })

      const later = restart()
      expect((await ok(later, 'DescribeSecret', { SecretId: Name })).VersionIdsToStages).toEqual({
        [v1]: ['AWSPREVIOUS'],
        [v2]: ['AWSCURRENT'],
      })
      expect(
        (await ok(later, 'GetSecretValue', { SecretId: Name, VersionStage: 'AWSPREVIOUS' }))
          .SecretString
      ).toBe('one')
    })

    it('recognises a replayed token after a restart', async () => {
      const Name = unique('kv/replay')
      await createString(restart(), Name, 'one')
      const input = { SecretId: Name, SecretString: 'two', ClientRequestToken: token() }
      const first = await ok(restart(), 'PutSecretValue', input)
      expect(await ok(restart(), 'PutSecretValue', input)).toEqual(first)
      const conflict = await call(restart(), 'PutSecretValue', { ...input, SecretString: 'three' })
      expect(conflict.body.__type).toBe('ResourceExistsException')
    })

    it('keeps a 65,536-byte binary byte for byte', async () => {
      const Name = unique('kv/binary')
      const bytes = crypto.getRandomValues(new Uint8Array(65_536))
      bytes.set(Uint8Array.from({ length: 256 }, (_, i) => i))
      await ok(restart(), 'CreateSecret', {
        Name,
        SecretBinary: toBase64(bytes),
        ClientRequestToken: token(),
      })
      const read = await ok(restart(), 'GetSecretValue', { SecretId: Name })
      expect(read.SecretBinary).toBe(toBase64(bytes))
    })

    it('writes one KV key per secret, and only for secrets that exist', async () => {
      const Name = unique('kv/one-key')
      expect(await kvKeysFor(Name)).toEqual([])
      const refused = await call(restart(), 'CreateSecret', {
        Name,
        SecretString: 'x',
        SecretBinary: 'eA==',
        ClientRequestToken: token(),
      })
      expect(refused.status).toBe(400)
      expect(await kvKeysFor(Name)).toEqual([])

      const emulator = restart()
      await createString(emulator, Name, 'one')
      await ok(emulator, 'PutSecretValue', {
        SecretId: Name,
        SecretString: 'two',
        ClientRequestToken: token(),
      })
      expect(await kvKeysFor(Name)).toHaveLength(1)
    })
  })

  describe('deletion', () => {
    it('removes the KV key on ForceDeleteWithoutRecovery', async () => {
      const Name = unique('kv/forced')
      await createString(restart(), Name, 'doomed')
      expect(await kvKeysFor(Name)).toHaveLength(1)

      await ok(restart(), 'DeleteSecret', { SecretId: Name, ForceDeleteWithoutRecovery: true })
      expect(await kvKeysFor(Name)).toEqual([])
      const read = await call(restart(), 'GetSecretValue', { SecretId: Name })
      expect(read.body.__type).toBe('ResourceNotFoundException')
    })

    it('keeps a secret in its recovery window across restarts until it is restored', async () => {
      const Name = unique('kv/recovery')
      await createString(restart(), Name, 'recoverable')
      await ok(restart(), 'DeleteSecret', { SecretId: Name, RecoveryWindowInDays: 7 })
      expect(await kvKeysFor(Name)).toHaveLength(1)

      const read = await call(restart(), 'GetSecretValue', { SecretId: Name })
      expect(read.body.__type).toBe('InvalidRequestException')
      await ok(restart(), 'RestoreSecret', { SecretId: Name })
      expect((await ok(restart(), 'GetSecretValue', { SecretId: Name })).SecretString).toBe(
        'recoverable'
      )
    })

    it('purges a secret whose recovery window has passed, KV key included', async () => {
      const Name = unique('kv/expired')
      await createString(restart(), Name, 'gone')
      await ok(restart(), 'DeleteSecret', { SecretId: Name, RecoveryWindowInDays: 7 })

      // A restart eight days later: the emulator's clock and the request's signing date agree.
      const laterMs = Date.now() + 8 * 86_400_000
      const later = createEmulator({ store: new EmulatorKvStore(kv), now: () => laterMs })
      const read = await call(
        later,
        'GetSecretValue',
        { SecretId: Name },
        { datetime: amzDate(laterMs) }
      )
      expect(read.body.__type).toBe('ResourceNotFoundException')
      expect(await kvKeysFor(Name)).toEqual([])
    })
  })

  describe('long names', () => {
    it('stores a 512-character name under a KV key within the 512-byte limit', async () => {
      const emulator = restart()
      const Name = unique('long').padEnd(512, 'n')
      await createString(emulator, Name, 'long-value')
      const value = await ok(restart(), 'GetSecretValue', { SecretId: Name })
      expect(value.Name).toBe(Name)
      expect(value.SecretString).toBe('long-value')
      const listed = await ok(restart(), 'ListSecrets', {
        Filters: [{ Key: 'name', Values: [Name.slice(0, 40)] }],
      })
      expect(listed.SecretList.map((s: { Name: string }) => s.Name)).toEqual([Name])
      await ok(emulator, 'DeleteSecret', { SecretId: Name, ForceDeleteWithoutRecovery: true })
      expect((await call(restart(), 'DescribeSecret', { SecretId: Name })).status).toBe(400)
    })
  })

  describe('key prefix', () => {
    it('isolates two emulators that share one namespace', async () => {
      const Name = unique('kv/tenant')
      const tenantA = restart(unique('tenant-a:'))
      const tenantB = restart(unique('tenant-b:'))
      const inA = await createString(tenantA, Name, 'secret of A')
      const inB = await createString(tenantB, Name, 'secret of B')
      expect(inA.ARN).not.toBe(inB.ARN)

      expect((await ok(tenantA, 'GetSecretValue', { SecretId: Name })).SecretString).toBe(
        'secret of A'
      )
      expect((await ok(tenantB, 'GetSecretValue', { SecretId: Name })).SecretString).toBe(
        'secret of B'
      )
      expect((await listAll(tenantA, 100)).names).toEqual([Name])
      expect((await listAll(tenantB, 100)).names).toEqual([Name])

      await ok(tenantA, 'DeleteSecret', { SecretId: Name, ForceDeleteWithoutRecovery: true })
      expect((await call(tenantA, 'GetSecretValue', { SecretId: Name })).body.__type).toBe(
        'ResourceNotFoundException'
      )
      expect((await ok(tenantB, 'GetSecretValue', { SecretId: Name })).SecretString).toBe(
        'secret of B'
      )
      expect(await kvKeysFor(Name)).toHaveLength(1)
    })

    it('finds prefixed secrets again after a restart with the same prefix', async () => {
      const prefix = unique('tenant-c:')
      const Name = unique('kv/prefixed')
      await createString(restart(prefix), Name, 'scoped')
      expect((await ok(restart(prefix), 'GetSecretValue', { SecretId: Name })).SecretString).toBe(
        'scoped'
      )
      expect((await call(restart(), 'GetSecretValue', { SecretId: Name })).body.__type).toBe(
        'ResourceNotFoundException'
      )
    })
  })

  describe('listing', () => {
    it('pages ListSecrets with MaxResults over secrets made by several emulators', async () => {
      const prefix = unique('list-small:')
      const names: string[] = []
      for (let i = 0; i < 9; i++) {
        const Name = unique(`kv/listed-${i}`)
        names.push(Name)
        await createString(restart(prefix), Name, `value ${i}`)
      }
      const { names: listed, pages } = await listAll(restart(prefix), 4)
      expect(pages).toBe(3)
      expect(listed).toEqual([...names].sort())
    })

    // Five keys past one KV list page (1,000 keys). Writing them through the store instead of
    // the emulator keeps this to about a second; ListSecrets reads the whole store per page.
    it('lists more secrets than one KV list page holds', { timeout: 30_000 }, async () => {
      const prefix = unique('list-large:')
      const count = 1_005
      const createdMs = Date.now()
      const names = Array.from({ length: count }, (_, i) => `kv/bulk-${String(i).padStart(4, '0')}`)
      const store = new EmulatorKvStore(kv, prefix)
      await Promise.all(
        names.map((Name, i) =>
          store.put(`us-east-1:${Name}`, storedSecret(Name, `v${i}`, createdMs))
        )
      )

      // Count the KV list calls behind one store listing: more than one page must be read.
      const cursors: (string | null | undefined)[] = []
      const counted = new EmulatorKvStore(
        {
          get: (key, type) => kv.get(key, type),
          put: (key, value) => kv.put(key, value),
          delete: (key) => kv.delete(key),
          list: (options) => {
            cursors.push(options.cursor)
            return kv.list(options)
          },
        },
        prefix
      )
      const stored = await counted.list('us-east-1:')
      expect(stored.map((s) => s.Name).sort()).toEqual(names)
      expect(cursors.length).toBeGreaterThanOrEqual(2)
      expect(cursors[1]).toEqual(expect.any(String))

      // KV lists keys in order, so the last names live on its second page: a descending first
      // page can only start with them if that page was read.
      const emulator = restart(prefix)
      const page = await ok(emulator, 'ListSecrets', {
        MaxResults: 100,
        SortBy: 'name',
        SortOrder: 'desc',
      })
      expect(page.SecretList.map((s: { Name: string }) => s.Name)).toEqual(
        names.slice(-100).reverse()
      )
      expect(page.NextToken).toEqual(expect.any(String))
      const last = await ok(emulator, 'GetSecretValue', { SecretId: names[count - 1] })
      expect(last.SecretString).toBe(`v${count - 1}`)
    })
  })
})
