// Issue 8, item 3: the cache.
//   1. A memory hit (getSecretJson, getSecretString, getSecretValue of a warm key, from dist/ in
//      Node) against the floor: a bare Map.get + JSON.parse of the same value, awaited as any
//      caller of an async API awaits.
//   2. A KV-tier hit inside workerd (Miniflare): a fresh SecretCache per read (memory empty)
//      opening the entry KvStore sealed, against a bare KV.get of the same key name, timed from
//      outside over requests of READS_PER_REQUEST reads each.
//   3. 1,000 concurrent cold reads of one secret, with an upstream that answers late, so they
//      overlap: how many upstream calls (in Node, memory only and over a KvStore; in workerd, one
//      request per read).
//   4. A simulated day: one secret read at a steady rate by ISOLATES caches with their own memory,
//      sharing one KV namespace that takes PROPAGATION_MS to show a write to the other isolates,
//      on an injected clock: upstream calls, KV reads and writes per day, per rate.
// The real SecretCache and KvStore throughout; only the upstream, KV (in 3 and 4) and the clock
// are stand-ins.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { interleave, perCallMicros, rowsFrom, stats, WORKERD_BUILD_OPTIONS } from './lib.mjs'

const SECRET_ID = 'bench/cache/db'
const SECRET_STRING = JSON.stringify({
  username: 'bench',
  password: 'x'.repeat(32),
  host: 'db.internal.example',
  port: 5432,
})
const ARN = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SECRET_ID}-AbCdEf`
// A fixed bench key (base64 of 32 bytes): KvStore refuses to store without one.
const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64')

// 1. Calls per sample of the memory hit.
const MEMORY_ITERATIONS = 200_000
// 2. Reads per request and requests per sample inside workerd.
const READS_PER_REQUEST = 50
const REQUESTS_PER_SAMPLE = 6
// Without KV I/O a read is cheap: more per request, so the request's own cost fades.
const LOCAL_READS_PER_REQUEST = 1_000
// 3. The burst, and how late the upstream answers.
const COLD_READS = 1_000
const UPSTREAM_DELAY_MS = 200
// In workerd the reads arrive over seconds (one dispatchFetch each): the upstream holds its
// answer until all have arrived, at most this long (under the waiters' 10 s patience).
const GATE_MS = 6_000
// Each workerd burst takes seconds (1,000 dispatchFetch calls): fewer rounds of it.
const BURST_ROUNDS = 2
// 4. The simulated day.
const DAY_MS = 86_400_000
const RATES = [1, 10, 100]
// A day at 100 reads/s is 8.6 million reads (about 15 s here): fewer rounds of it.
const daysFor = (rate, rounds) => (rate >= 100 ? Math.min(rounds, 2) : rounds)
const ISOLATES = 4
const PROPAGATION_MS = 60_000
const SIM_UPSTREAM_MS = 100
const SIM_KV_READ_MS = 10
const SIM_KV_WRITE_MS = 50
// SecretCache's defaults, which the simulation keeps: refresh after U(0.5, 1) of the interval.
const REFRESH_INTERVAL_MS = 3_600_000
// Upstream calls closer together than this are one refresh (isolates that refreshed before
// they could see each other's write).
const CYCLE_GAP_MS = 5 * 60_000

const answer = (SecretId, VersionId = 'v1') => ({
  ARN,
  Name: SecretId,
  VersionId,
  VersionStages: ['AWSCURRENT'],
  CreatedDate: new Date(1_700_000_000_000),
  SecretString: SECRET_STRING,
})

/** @param {{ rounds: number, root: string }} options */
export async function run({ rounds, root }) {
  const cacheModule = await loadCache(root)
  return [
    ...(await memoryHit(cacheModule, rounds)),
    ...(await workerdRows(root, rounds)),
    ...(await coldReads(cacheModule, rounds)),
    ...(await simulatedDay(cacheModule, rounds)),
  ]
}

// dist/ as `npm run build` makes it; built here only when missing.
async function loadCache(root) {
  const entry = join(root, 'dist/cache/index.js')
  if (!existsSync(entry)) execFileSync('npm', ['run', 'build', '--silent'], { cwd: root })
  return import(pathToFileURL(entry).href)
}

// --- 1. memory hit ---------------------------------------------------------------------------------

async function memoryHit({ SecretCache }, rounds) {
  const cache = new SecretCache({ client: { getSecretValue: async (i) => answer(i.SecretId) } })
  await cache.getSecretJson(SECRET_ID)
  const map = new Map([[SECRET_ID, SECRET_STRING]])
  const FLOOR = 'floor: Map.get + JSON.parse'
  const calls = {
    'getSecretJson (memory hit)': () => cache.getSecretJson(SECRET_ID),
    'getSecretString (memory hit)': () => cache.getSecretString(SECRET_ID),
    'getSecretValue (memory hit)': () => cache.getSecretValue(SECRET_ID),
    [FLOOR]: () => JSON.parse(map.get(SECRET_ID)),
  }
  // Warm the JIT on every variant before any sample counts.
  for (const fn of Object.values(calls)) await perCallMicros(fn, MEMORY_ITERATIONS / 4)
  const variants = Object.fromEntries(
    Object.entries(calls).map(([name, fn]) => [name, () => perCallMicros(fn, MEMORY_ITERATIONS)])
  )
  const samples = await interleave(variants, rounds)
  const within2 = ['≤ 2× floor', (ratio) => ratio <= 2]
  return rowsFrom('Cache: memory hit (Node)', samples, {
    unit: 'µs',
    floor: FLOOR,
    goals: {
      'getSecretJson (memory hit)': within2,
      'getSecretString (memory hit)': within2,
      'getSecretValue (memory hit)': within2,
    },
    notes: {
      [FLOOR]: `awaited, ${SECRET_STRING.length}-byte JSON`,
      'getSecretValue (memory hit)': 'returns a copy',
    },
  })
}

// --- 2 and 3 in workerd ------------------------------------------------------------------------------

// The Worker: seeds KV through a SecretCache, then reads it back through fresh caches (the KV
// tier) or with bare KV.get (the floor); and a burst route whose reads share one cache per `gen`.
const WORKER = `
import { KvStore, SecretCache } from './src/cache/index.js'
const ID = ${JSON.stringify(SECRET_ID)}
const KEY = ${JSON.stringify(ENCRYPTION_KEY)}
const ANSWER = ${JSON.stringify({ ...answer(SECRET_ID), CreatedDate: undefined })}
let upstreamCalls = 0
const client = { async getSecretValue() { upstreamCalls++; return { ...ANSWER } } }
let shared: KvStore | undefined
// A KV stand-in inside the isolate (no I/O), holding a copy of the sealed entry: what the tier
// costs in CPU when KV answers at once.
const local = new Map<string, string>()
const localKv = {
  async get(name: string) { return local.get(name) ?? null },
  async put(name: string, value: string) { local.set(name, value) },
  async delete(name: string) { local.delete(name) },
  async list() { return { keys: [...local.keys()].map((name) => ({ name })), list_complete: true } },
}
let localShared: KvStore | undefined
const bursts = new Map<string, { cache: SecretCache; calls: number }>()

export default {
  async fetch(request: Request, env: { KV: any }, ctx: any): Promise<Response> {
    const url = new URL(request.url)
    const n = Number(url.searchParams.get('n') ?? '0')
    let bytes = 0
    switch (url.pathname) {
      case '/seed': {
        const pending: Promise<unknown>[] = []
        const cache = new SecretCache({ client, store: new KvStore(env.KV, { encryptionKeys: [KEY] }) })
        await cache.getSecretString(ID, { waitUntil: (p) => pending.push(p) })
        await Promise.all(pending)
        const { keys } = await env.KV.list()
        for (const { name } of keys) local.set(name, await env.KV.get(name, 'text'))
        return Response.json({ names: keys.map((k: { name: string }) => k.name), stats: cache.stats() })
      }
      case '/cache':
        shared ??= new KvStore(env.KV, { encryptionKeys: [KEY] })
        for (let i = 0; i < n; i++) {
          const cache = new SecretCache({ client, store: shared })
          bytes += (await cache.getSecretString(ID)).length
        }
        break
      case '/cache-new-store':
        for (let i = 0; i < n; i++) {
          const store = new KvStore(env.KV, { encryptionKeys: [KEY] })
          bytes += (await new SecretCache({ client, store }).getSecretString(ID)).length
        }
        break
      case '/cache-local':
        localShared ??= new KvStore(localKv, { encryptionKeys: [KEY] })
        for (let i = 0; i < n; i++) {
          const cache = new SecretCache({ client, store: localShared })
          bytes += (await cache.getSecretString(ID)).length
        }
        break
      case '/floor-local': {
        const name = url.searchParams.get('name') as string
        for (let i = 0; i < n; i++) bytes += ((await localKv.get(name)) ?? '').length
        break
      }
      case '/floor': {
        const name = url.searchParams.get('name') as string
        for (let i = 0; i < n; i++) bytes += ((await env.KV.get(name, 'text')) ?? '').length
        break
      }
      case '/burst': {
        const gen = url.searchParams.get('gen') as string
        let burst = bursts.get(gen)
        if (burst === undefined) {
          const counted = {
            calls: 0,
            arrived: 0,
            cache: new SecretCache({
              client: {
                // Answers once every read of the burst has arrived (or after ${GATE_MS} ms),
                // then ${UPSTREAM_DELAY_MS} ms later: so they all overlap.
                async getSecretValue() {
                  counted.calls++
                  for (let waited = 0; counted.arrived < n && waited < ${GATE_MS}; waited += 5) {
                    await new Promise((resolve) => setTimeout(resolve, 5))
                  }
                  await new Promise((resolve) => setTimeout(resolve, ${UPSTREAM_DELAY_MS}))
                  return { ...ANSWER }
                },
              },
            }),
          }
          burst = counted
          bursts.set(gen, burst)
        }
        burst.arrived++
        bytes = (await burst.cache.getSecretString(ID, { waitUntil: ctx.waitUntil.bind(ctx) })).length
        break
      }
      case '/burst-stats': {
        const burst = bursts.get(url.searchParams.get('gen') as string)
        return Response.json({ calls: burst?.calls, ...burst?.cache.stats() })
      }
    }
    return new Response(String(bytes), { headers: { 'x-upstream-calls': String(upstreamCalls) } })
  },
}
`

async function workerdRows(root, rounds) {
  const bundled = await build({
    ...WORKERD_BUILD_OPTIONS,
    stdin: { contents: WORKER, resolveDir: root, loader: 'ts' },
  })
  const mf = new Miniflare({
    modules: true,
    script: bundled.outputFiles[0].text,
    compatibilityDate: '2026-04-26',
    kvNamespaces: ['KV'],
    cf: false,
  })
  try {
    await mf.ready
    return [...(await kvTierHit(mf, rounds)), ...(await workerdBurst(mf, rounds))]
  } finally {
    await mf.dispose()
  }
}

async function kvTierHit(mf, rounds) {
  const seeded = await (await mf.dispatchFetch('http://bench.local/seed')).json()
  const name = seeded.names[0]
  if (seeded.names.length !== 1 || seeded.stats.storeWrites !== 1) {
    throw new Error(`seeding KV went wrong: ${JSON.stringify(seeded)}`)
  }
  let upstreamAfterSeed = 0
  // µs per read over REQUESTS_PER_SAMPLE requests of `reads` reads (for 0 reads: the request
  // time as shared by READS_PER_REQUEST reads).
  const perRead = (path, reads) => async () => {
    const start = performance.now()
    for (let i = 0; i < REQUESTS_PER_SAMPLE; i++) {
      const response = await mf.dispatchFetch(
        `http://bench.local${path}?n=${reads}&name=${encodeURIComponent(name)}`
      )
      await response.text()
      upstreamAfterSeed = Number(response.headers.get('x-upstream-calls')) - 1
    }
    return (
      ((performance.now() - start) * 1000) / (REQUESTS_PER_SAMPLE * (reads || READS_PER_REQUEST))
    )
  }
  const FLOOR = 'floor: bare KV.get of the same key'
  const TIER = 'KV-tier hit: fresh SecretCache per read, shared KvStore'
  const NEW_STORE = 'KV-tier hit: fresh SecretCache and KvStore per read'
  const DISPATCH = 'dispatch only (request with 0 reads, ÷ 50)'
  const LOCAL_FLOOR = 'floor: get from an in-isolate Map KV'
  const LOCAL = 'KV-tier hit over the in-isolate Map KV'
  const variants = {
    [TIER]: perRead('/cache', READS_PER_REQUEST),
    [NEW_STORE]: perRead('/cache-new-store', READS_PER_REQUEST),
    [FLOOR]: perRead('/floor', READS_PER_REQUEST),
    [DISPATCH]: perRead('/floor', 0),
    [LOCAL]: perRead('/cache-local', LOCAL_READS_PER_REQUEST),
    [LOCAL_FLOOR]: perRead('/floor-local', LOCAL_READS_PER_REQUEST),
  }
  for (const variant of Object.values(variants)) await variant()
  const samples = await interleave(variants, rounds)
  const pick = (...names) => Object.fromEntries(names.map((name) => [name, samples[name]]))
  const section = 'Cache: KV tier (workerd)'
  return [
    ...rowsFrom(section, pick(TIER, NEW_STORE, FLOOR), {
      unit: 'µs',
      floor: FLOOR,
      notes: {
        [TIER]: `${READS_PER_REQUEST} reads/request; HMAC key name, AES-GCM open, entry JSON; upstream calls after seeding: ${upstreamAfterSeed}`,
        [NEW_STORE]: 'adds HKDF key derivation per read (a new isolate)',
        [FLOOR]: 'Miniflare KV, timed from outside, per read incl. its request share',
      },
    }),
    ...rowsFrom(section, pick(DISPATCH), { unit: 'µs' }),
    ...rowsFrom(section, pick(LOCAL, LOCAL_FLOOR), {
      unit: 'µs',
      floor: LOCAL_FLOOR,
      notes: {
        [LOCAL]: `no KV I/O: the tier's CPU cost; ${LOCAL_READS_PER_REQUEST} reads/request`,
      },
    }),
  ]
}

// 1,000 requests at once, each reading the secret once from a cache shared by the isolate.
async function workerdBurst(mf, rounds) {
  const samples = { calls: [], coalesced: [], ms: [] }
  for (let round = 0; round < Math.min(rounds, BURST_ROUNDS); round++) {
    const url = `http://bench.local/burst?gen=g${round}&n=${COLD_READS}`
    const start = performance.now()
    const bodies = await Promise.all(
      Array.from({ length: COLD_READS }, () => mf.dispatchFetch(url).then((r) => r.text()))
    )
    samples.ms.push(performance.now() - start)
    const bad = bodies.filter((body) => body !== String(SECRET_STRING.length)).length
    if (bad > 0) throw new Error(`${bad} burst reads in workerd did not get the secret`)
    const burst = await (
      await mf.dispatchFetch(`http://bench.local/burst-stats?gen=g${round}`)
    ).json()
    samples.calls.push(burst.calls)
    samples.coalesced.push(burst.coalescedWaiters)
  }
  return [
    countRow(
      'Cache: cold reads',
      `${COLD_READS} concurrent cold reads → upstream calls (workerd, one request per read)`,
      samples.calls,
      {
        goal: '= 1',
        met: samples.calls.every((c) => c === 1),
        note: `${stats(samples.coalesced).value} joined the first read's call; upstream held until all arrived, then ${UPSTREAM_DELAY_MS} ms; burst ${(stats(samples.ms).value / 1000).toFixed(1)} s; ${samples.calls.length} rounds`,
      }
    ),
  ]
}

// --- 3. cold reads in Node ----------------------------------------------------------------------------

async function coldReads({ SecretCache, KvStore }, rounds) {
  const burst = async (withStore) => {
    let calls = 0
    const client = {
      async getSecretValue(input) {
        calls++
        await new Promise((resolve) => setTimeout(resolve, UPSTREAM_DELAY_MS))
        return answer(input.SecretId)
      },
    }
    const store = withStore
      ? new KvStore(new InstantKv(), { encryptionKeys: [ENCRYPTION_KEY] })
      : undefined
    const cache = new SecretCache({ client, store })
    const pending = []
    const values = await Promise.all(
      Array.from({ length: COLD_READS }, () =>
        cache.getSecretString(SECRET_ID, { waitUntil: (p) => pending.push(p) })
      )
    )
    await Promise.all(pending)
    if (values.some((v) => v !== SECRET_STRING)) throw new Error('a cold read got a wrong value')
    return { calls, coalesced: cache.stats().coalescedWaiters }
  }
  const rows = []
  for (const [label, withStore] of [
    ['Node, memory only', false],
    ['Node, over KvStore (empty KV)', true],
  ]) {
    const calls = []
    const coalesced = []
    for (let round = 0; round < rounds; round++) {
      const result = await burst(withStore)
      calls.push(result.calls)
      coalesced.push(result.coalesced)
    }
    rows.push(
      countRow(
        'Cache: cold reads',
        `${COLD_READS} concurrent cold reads → upstream calls (${label})`,
        calls,
        {
          goal: '= 1',
          met: calls.every((c) => c === 1),
          note: `upstream answers after ${UPSTREAM_DELAY_MS} ms; coalesced waiters ${stats(coalesced).value}`,
        }
      )
    )
  }
  return rows
}

// A KV namespace in memory, strongly consistent and instant (for the burst, where only the
// upstream's timing matters).
class InstantKv {
  #map = new Map()
  async get(name) {
    return this.#map.get(name) ?? null
  }
  async put(name, value) {
    this.#map.set(name, value)
  }
  async delete(name) {
    this.#map.delete(name)
  }
  async list({ prefix } = {}) {
    const keys = [...this.#map.keys()].filter((n) => !prefix || n.startsWith(prefix))
    return { keys: keys.map((name) => ({ name })), list_complete: true }
  }
}

function countRow(section, name, values, { goal, met, note }) {
  const row = { section, name, unit: 'calls', ...stats(values) }
  if (goal !== undefined) Object.assign(row, { goal, met })
  if (note !== undefined) row.note = note
  return row
}

// --- 4. a simulated day ---------------------------------------------------------------------------------

// Simulated time: timers fire in order of their due time, and the clock jumps from one event
// to the next. Real asynchronous work (WebCrypto in KvStore) is waited for between events.
class SimClock {
  now = 0
  #timers = []
  #seq = 0

  sleep(ms) {
    return new Promise((resolve) => {
      const timer = { due: this.now + ms, seq: this.#seq++, resolve }
      let i = this.#timers.length
      while (i > 0 && this.#timers[i - 1].due > timer.due) i--
      this.#timers.splice(i, 0, timer)
    })
  }

  get nextDue() {
    return this.#timers[0]?.due ?? Number.POSITIVE_INFINITY
  }

  get pending() {
    return this.#timers.length
  }

  pop() {
    return this.#timers.shift()
  }
}

// One KV namespace shared by the isolates, with what KvNamespaceLike uses of Workers KV: text
// values, expirationTtl, prefix listing. Every operation takes simulated time; a write (or a
// delete) is seen at once by the isolate that made it and by the others PROPAGATION_MS later.
class SimKv {
  reads = 0
  writes = 0
  deletes = 0
  #versions = new Map()

  constructor(clock) {
    this.clock = clock
  }

  #visible(name, isolate) {
    const now = this.clock.now
    const versions = this.#versions.get(name) ?? []
    for (let i = versions.length - 1; i >= 0; i--) {
      const v = versions[i]
      if (v.isolate !== isolate && now < v.at + PROPAGATION_MS) continue
      return v.value !== null && now < v.expiresAt ? v.value : null
    }
    return null
  }

  #record(name, isolate, value, expiresAt) {
    const now = this.clock.now
    const versions = this.#versions.get(name) ?? []
    versions.push({ value, isolate, at: now, expiresAt })
    // Versions older than the newest one everybody sees can never be read again.
    let seenByAll = -1
    for (let i = 0; i < versions.length; i++)
      if (now >= versions[i].at + PROPAGATION_MS) seenByAll = i
    this.#versions.set(name, seenByAll > 0 ? versions.slice(seenByAll) : versions)
  }

  view(isolate) {
    return {
      get: async (name) => {
        this.reads++
        await this.clock.sleep(SIM_KV_READ_MS)
        return this.#visible(name, isolate)
      },
      put: async (name, value, options = {}) => {
        this.writes++
        await this.clock.sleep(SIM_KV_WRITE_MS)
        const ttl = options.expirationTtl
        this.#record(name, isolate, value, ttl ? this.clock.now + ttl * 1000 : Infinity)
      },
      delete: async (name) => {
        this.deletes++
        await this.clock.sleep(SIM_KV_WRITE_MS)
        this.#record(name, isolate, null, Infinity)
      },
      list: async ({ prefix } = {}) => {
        await this.clock.sleep(SIM_KV_READ_MS)
        const names = [...this.#versions.keys()].filter(
          (name) => (!prefix || name.startsWith(prefix)) && this.#visible(name, isolate) !== null
        )
        return { keys: names.map((name) => ({ name })), list_complete: true }
      },
    }
  }
}

// A seeded PRNG (mulberry32), so that each round is one reproducible draw of the jitter.
function seeded(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

// Counts WebCrypto calls under way, so the simulation knows when every load has either finished
// or is waiting for simulated time.
function countCrypto() {
  const subtle = globalThis.crypto.subtle
  const methods = ['digest', 'sign', 'encrypt', 'decrypt', 'importKey', 'deriveKey', 'deriveBits']
  const originals = methods.map((m) => [m, subtle[m]])
  const counter = { inFlight: 0, restore: () => {} }
  for (const [m, original] of originals) {
    subtle[m] = (...args) => {
      counter.inFlight++
      return original.apply(subtle, args).finally(() => counter.inFlight--)
    }
  }
  counter.restore = () => {
    for (const [m] of originals) delete subtle[m]
  }
  return counter
}

async function simulateDay({ SecretCache, KvStore }, rate, seed, crypto) {
  const clock = new SimClock()
  const kv = new SimKv(clock)
  const now = () => clock.now
  const upstreamAt = []
  const client = {
    async getSecretValue(input) {
      upstreamAt.push(clock.now)
      await clock.sleep(SIM_UPSTREAM_MS)
      return answer(input.SecretId, `v${upstreamAt.length}`)
    },
  }
  const random = seeded(seed)
  const isolates = Array.from({ length: ISOLATES }, (_, i) => {
    const isolate = { started: false, background: new Set() }
    isolate.cache = new SecretCache({
      client,
      store: new KvStore(kv.view(i), { encryptionKeys: [ENCRYPTION_KEY], now }),
      now,
      random: seeded(Math.floor(random() * 2 ** 32)),
    })
    isolate.opts = {
      waitUntil: (promise) => {
        isolate.started = true
        isolate.background.add(promise)
        promise.finally(() => isolate.background.delete(promise))
      },
    }
    return isolate
  })
  // Lets real async work run until none is left: then every load waits on simulated time.
  const settle = async () => {
    do await new Promise((resolve) => setImmediate(resolve))
    while (crypto.inFlight > 0)
  }
  const advance = async (until) => {
    while (clock.pending > 0 && clock.nextDue <= until) {
      const timer = clock.pop()
      clock.now = timer.due
      timer.resolve()
      await settle()
    }
  }
  const waiting = []
  const total = Math.round((rate * DAY_MS) / 1000)
  for (let i = 0; i < total; i++) {
    const t = Math.floor((i * 1000) / rate)
    if (clock.nextDue <= t) await advance(t)
    clock.now = t
    const isolate = isolates[i % ISOLATES]
    const busy = isolate.background.size > 0
    isolate.started = false
    const read = isolate.cache.getSecretString(SECRET_ID, isolate.opts)
    if (!busy && !isolate.started) {
      // A memory hit with nothing in flight: it settles without simulated time.
      await read
      continue
    }
    waiting.push(read)
    await settle()
  }
  await advance(Number.POSITIVE_INFINITY)
  await Promise.all(waiting)
  const hits = { memoryHits: 0, storeHits: 0, misses: 0, staleServed: 0 }
  for (const { cache } of isolates) {
    const s = cache.stats()
    for (const k of Object.keys(hits)) hits[k] += s[k]
  }
  let cycles = 0
  for (let i = 0; i < upstreamAt.length; i++) {
    if (i === 0 || upstreamAt[i] - upstreamAt[i - 1] > CYCLE_GAP_MS) cycles++
  }
  return {
    upstream: upstreamAt.length,
    coldStart: upstreamAt.filter((t) => t < 2 * PROPAGATION_MS).length,
    cycles,
    kvReads: kv.reads,
    kvWrites: kv.writes,
    reads: total,
    hits,
  }
}

async function simulatedDay(cacheModule, rounds) {
  const SECTION = `Cache: simulated day (${ISOLATES} isolates, one KV)`
  const crypto = countCrypto()
  const results = new Map(RATES.map((rate) => [rate, []]))
  try {
    // Round r draws the same jitter for every rate: only the rate differs between them.
    for (let round = 0; round < rounds; round++) {
      for (const rate of RATES) {
        if (round >= daysFor(rate, rounds)) continue
        results.get(rate).push(await simulateDay(cacheModule, rate, 1_000 + round, crypto))
      }
    }
  } finally {
    crypto.restore()
  }
  // What the schedule needs: each isolate refreshes U(0.5, 1) × the interval after the value
  // it holds was fetched, and the first to come due refreshes for all (the others adopt its
  // write within a propagation delay or two). So a refresh follows the last after the minimum
  // of ISOLATES such draws: 0.5 + 0.5 / (ISOLATES + 1) of the interval on average, never under
  // half of it. Plus one call per isolate at the start, before any write has propagated.
  const meanGapMs = REFRESH_INTERVAL_MS * (0.5 + 0.5 / (ISOLATES + 1))
  const expected = Math.round(DAY_MS / meanGapMs) + ISOLATES
  const bound = DAY_MS / (REFRESH_INTERVAL_MS / 2) + ISOLATES
  const rows = [
    {
      section: SECTION,
      name: 'expected upstream calls by the refresh schedule',
      value: expected,
      unit: 'calls',
      note: `${ISOLATES} cold starts + 24 h ÷ ${(meanGapMs / 60_000).toFixed(0)} min (the mean of the earliest of ${ISOLATES} deadlines drawn in 30–60 min); bound ${bound}: no refresh under 30 min; an isolate whose deadline comes within the propagation delay of another's cannot see its write yet and calls too`,
    },
  ]
  const upstreamMedians = []
  for (const rate of RATES) {
    const days = results.get(rate)
    const pick = (f) => days.map(f)
    const upstream = pick((d) => d.upstream)
    const writes = pick((d) => d.kvWrites)
    const perCycle = pick((d) => d.kvWrites / d.cycles)
    const upstreamStats = stats(upstream)
    upstreamMedians.push(upstreamStats.value)
    const label = `${rate} read${rate === 1 ? '' : 's'}/s`
    rows.push(
      {
        section: SECTION,
        name: `${label}: upstream calls per day`,
        unit: 'calls',
        ...upstreamStats,
        floor: 'expected upstream calls by the refresh schedule',
        ratio: upstreamStats.value / expected,
        goal: `≤ ${bound} (schedule bound)`,
        met: upstreamStats.value <= bound,
        note: `${stats(pick((d) => d.coldStart)).value} at start, ${stats(pick((d) => d.cycles)).value} refresh cycles, the rest duplicates within ${PROPAGATION_MS / 1000} s of a cycle's first call; ${upstream.filter((u) => u > bound).length} of ${days.length} seeds over the bound; ${days[0].reads.toLocaleString('en')} reads, ${stats(pick((d) => d.hits.memoryHits / d.reads)).value.toFixed(4)} from memory`,
      },
      {
        section: SECTION,
        name: `${label}: KV writes per day`,
        unit: 'writes',
        ...stats(writes),
        goal: `≤ 1.5 per refresh cycle (not ${ISOLATES})`,
        met: perCycle.every((w) => w <= 1.5) && days.every((d) => d.kvWrites <= d.upstream),
        note: `${stats(perCycle).value.toFixed(2)} per refresh cycle, ${stats(pick((d) => d.kvWrites / d.upstream)).value.toFixed(2)} per upstream call`,
      },
      {
        section: SECTION,
        name: `${label}: KV reads per day`,
        unit: 'reads',
        ...stats(pick((d) => d.kvReads)),
        note: `≈ ${ISOLATES} isolates × 1,440 memoryTtlMs (60 s) re-reads, whatever the rate`,
      }
    )
  }
  const spread = Math.max(...upstreamMedians) / Math.min(...upstreamMedians)
  rows.push({
    section: SECTION,
    name: 'upstream calls per day: highest rate ÷ lowest',
    value: spread,
    unit: '×',
    goal: '≤ 1.2× (independent of the rate)',
    met: spread <= 1.2,
    note: `left out: KV read caching (cacheTtl), negative caching, KV errors and 429s, cancelled requests, isolate churn; isolates start together; each sees its own writes at once; latencies upstream ${SIM_UPSTREAM_MS} ms, KV get ${SIM_KV_READ_MS} ms, put ${SIM_KV_WRITE_MS} ms`,
  })
  return rows
}
