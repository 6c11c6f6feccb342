// KvStore's own guarantees, checked on the store itself (SecretCache's key check would hide
// them): associated data, fresh IVs, keyed names, rotation order, format markers, write timing.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { type CacheKey, type KvNamespaceLike, KvStore } from '../../../src/cache/index.js'

const kv = env.SECRETS_CACHE
let counter = 0
const unique = (label: string) => `${label}-${++counter}-${crypto.randomUUID().slice(0, 8)}`
const uniquePrefix = () => `${unique('z')}:`
const newKey = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
const current = (SecretId: string): CacheKey => ({ SecretId, VersionStage: 'AWSCURRENT' })

async function names(prefix: string): Promise<string[]> {
  return (await kv.list({ prefix })).keys.map((k) => k.name)
}
async function nameOf(store: KvStore, prefix: string, key: CacheKey, value = 'x'): Promise<string> {
  const before = new Set(await names(prefix))
  await store.put(key, value)
  const added = (await names(prefix)).filter((n) => !before.has(n))
  expect(added).toHaveLength(1)
  return added[0] as string
}
const raw = async (name: string) => (await kv.get(name, 'text')) as string
const ivOf = (value: string) => atob(value.slice(3)).slice(0, 12)

describe('KvStore on its own', () => {
  it('an entry sealed for one cache key does not open under another', async () => {
    const prefix = uniquePrefix()
    const store = new KvStore(kv, { prefix, encryptionKeys: [newKey()] })
    const a = current(unique('a'))
    const b = current(unique('b'))
    const nameA = await nameOf(store, prefix, a, 'value-of-a')
    const nameB = await nameOf(store, prefix, b, 'value-of-b')
    await kv.put(nameB, await raw(nameA))
    expect(await store.get(b)).toBeUndefined()
  })

  it('every write has its own IV', async () => {
    const prefix = uniquePrefix()
    const store = new KvStore(kv, { prefix, encryptionKeys: [newKey()] })
    const nameA = await nameOf(store, prefix, current(unique('a')))
    const nameB = await nameOf(store, prefix, current(unique('b')))
    expect(ivOf(await raw(nameA))).not.toBe(ivOf(await raw(nameB)))
  })

  it('a rotated store prefers the newest key, and falls back when its entry does not open', async () => {
    const prefix = uniquePrefix()
    const keyA = newKey()
    const keyB = newKey()
    const key = current(unique('rot'))
    const onlyA = new KvStore(kv, { prefix, encryptionKeys: [keyA] })
    await onlyA.put(key, 'old')
    const rotated = new KvStore(kv, { prefix, encryptionKeys: [keyB, keyA] })
    const nameB = await nameOf(rotated, prefix, key, 'new')
    expect(await rotated.get(key)).toBe('new')
    await kv.put(nameB, 'v1:garbage')
    expect(await rotated.get(key)).toBe('old')
  })

  it('with a key, the id tag is keyed (two keys, two tags for one id)', async () => {
    const prefix = uniquePrefix()
    const key = current(unique('tag'))
    const n1 = await nameOf(new KvStore(kv, { prefix, encryptionKeys: [newKey()] }), prefix, key)
    const n2 = await nameOf(new KvStore(kv, { prefix, encryptionKeys: [newKey()] }), prefix, key)
    const tag = (n: string) => n.slice(prefix.length).split(':')[1]
    expect(tag(n1)).not.toBe(tag(n2))
  })

  it('a write exactly one second after the last goes at once; a second one in that same instant waits', async () => {
    const prefix = uniquePrefix()
    const puts: string[] = []
    const namespace: KvNamespaceLike = {
      get: (n, t) => kv.get(n, t),
      put: (n, v, o) => {
        puts.push(n)
        return kv.put(n, v, o)
      },
      delete: (n) => kv.delete(n),
      list: (o) => kv.list(o),
    }
    let nowMs = 1_700_000_000_000
    const store = new KvStore(namespace, { prefix, encryptionKeys: [newKey()], now: () => nowMs })
    const key = current(unique('exact'))
    await store.put(key, 'one')
    nowMs += 1_000
    const two = store.put(key, 'two')
    const three = store.put(key, 'three')
    await Promise.all([two, three])
    expect(puts).toHaveLength(3)
    expect(await store.get(key)).toBe('three')
  })

  it('refuses a fractional kvTtlSeconds', () => {
    expect(() => new KvStore(kv, { encryptionKeys: [newKey()], kvTtlSeconds: 60.5 })).toThrow(
      TypeError
    )
  })

  it('a plaintext store refuses a value without its format marker', async () => {
    const prefix = uniquePrefix()
    const store = new KvStore(kv, { prefix, allowPlaintext: true })
    const key = current(unique('plain'))
    const name = await nameOf(store, prefix, key, 'hello')
    await kv.put(name, 'xx:hello')
    expect(await store.get(key)).toBeUndefined()
  })

  it('a sealed body under another format marker is refused', async () => {
    const prefix = uniquePrefix()
    const store = new KvStore(kv, { prefix, encryptionKeys: [newKey()] })
    const key = current(unique('fmt'))
    const name = await nameOf(store, prefix, key, 'hello')
    await kv.put(name, `v2:${(await raw(name)).slice(3)}`)
    expect(await store.get(key)).toBeUndefined()
  })

  it('deleteEntry drops a deferred write of that entry', async () => {
    let nowMs = 1_700_000_000_000
    const store = new KvStore(kv, {
      prefix: `${unique('k')}:`,
      encryptionKeys: [newKey()],
      now: () => nowMs,
    })
    const key = current(unique('prod/de'))
    await store.put(key, 'one')
    nowMs += 500
    const two = store.put(key, 'two') // deferred to the end of the second
    await store.put(current(unique('prod/bystander')), 'x') // lets `two` reach its wait
    await store.deleteEntry(key)
    await two
    expect(await store.get(key)).toBeUndefined()
  })

  it('a write exactly one second after a deferred write was due does not join it', async () => {
    let nowMs = 1_700_000_000_000
    const store = new KvStore(kv, {
      prefix: `${unique('k')}:`,
      encryptionKeys: [newKey()],
      now: () => nowMs,
    })
    const key = current(unique('prod/edge'))
    await store.put(key, 'one')
    nowMs += 500
    const two = store.put(key, 'two') // due at +1000; its timer has not fired yet
    await store.put(current(unique('prod/bystander')), 'x')
    nowMs += 1_500 // exactly dueAt + 1000: the deferred write counts as stuck
    await store.put(key, 'three')
    expect(await store.get(key)).toBe('three') // written at once, not queued behind `two`
    await two
    expect(await store.get(key)).toBe('three')
  })
})
