// SecretCache inside workerd (Miniflare), across separate, concurrent requests to one isolate. In
// workerd a promise made while serving request A never settles for request B once A has ended,
// so a load shared between requests must be kept alive by its owner, and a waiter must get out
// when the owner goes away.
//
// The worker (fixtures/cache-worker.ts) reads through the real SecretsManagerClient; its signed
// calls to http://upstream.test reach the emulator here in Node through outboundService, which
// counts them, sees a call workerd cancels (the connection closes unanswered), and holds the
// first call of each secret until the test releases it. The owner of a load waits for the
// test's go-ahead before it ends, so every waiter provably joins while the owner's call is in
// flight, and nothing here depends on timing.
//
// Cancellation is made inside the worker (the owner aborts its read, then answers): workerd, run
// locally, does not notice a client that goes away while the worker is still working on the
// response. An aborted dispatchFetch (or a fetch to a direct socket) neither cancelled the
// owner's outbound call nor fired request.signal (with enable_request_signal), so the last test
// only checks that such a disconnect strands nobody.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Log, LogLevel, Miniflare } from 'miniflare'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createEmulator } from '../../../src/emulator/index.js'
import { ok, TEST_CREDENTIALS, token } from '../../support/call.js'
import { WORKERD_BUILD_OPTIONS } from '../../support/workerd-bundle.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/cache-worker.ts', import.meta.url))
const SETUP_TIMEOUT_MS = 30_000
// Per test: generous, since other test files run beside this one. A hang fails here.
const TEST_TIMEOUT_MS = 20_000
// The worker's caches, by waiterTimeoutMs: one that never gives up within a test (so a waiter
// that is not answered hangs, and the test times out), and one that takes over quickly.
const PATIENT_MS = 60_000
const IMPATIENT_MS = 500
const CONCURRENT = 20
const WAITERS = 3

// --- Node: the upstream, behind outboundService ----------------------------------------------------

interface Deferred<T = void> {
  promise: Promise<T>
  resolve(value: T): void
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

interface UpstreamCall {
  secretId: string
  /** 'cancelled': workerd closed the connection before the answer (the fetch was cancelled). */
  ended: Promise<'answered' | 'cancelled'>
  state: 'pending' | 'answered' | 'cancelled'
}

// What the test controls per secret: the first upstream call (held until `release`) and the
// owner's go-ahead (GET control.test/owner-go answers once the first call arrived and `letOwnerGo`).
interface Script {
  first: Deferred<UpstreamCall>
  hold: Deferred
  ownerGo: Deferred
}

const emulator = createEmulator({ credentials: [TEST_CREDENTIALS] })
const calls: UpstreamCall[] = []
const scripts = new Map<string, Script>()
// Miniflare's warnings and workerd's log lines (console output, uncaught errors, warnings).
const logged: string[] = []

function script(secretId: string): Script {
  let entry = scripts.get(secretId)
  if (entry === undefined) {
    entry = { first: deferred(), hold: deferred(), ownerGo: deferred() }
    scripts.set(secretId, entry)
  }
  return entry
}

const callsFor = (secretId: string) => calls.filter((call) => call.secretId === secretId)

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

// outboundService in its Node form, which sees the connection: a cancelled fetch closes it.
async function outbound(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
  if (url.hostname === 'control.test' && url.pathname === '/owner-go') {
    const { first, ownerGo } = script(url.searchParams.get('id') ?? '')
    await first.promise
    await ownerGo.promise
    res.end('go')
    return
  }
  if (url.hostname !== 'upstream.test') {
    res.writeHead(502).end(`unexpected outbound request to ${url.host}`)
    return
  }
  const body = await readBody(req)
  const { SecretId = '' } = JSON.parse(body.toString('utf8') || '{}') as { SecretId?: string }
  const ended = deferred<'answered' | 'cancelled'>()
  const call: UpstreamCall = { secretId: SecretId, ended: ended.promise, state: 'pending' }
  calls.push(call)
  res.on('close', () => {
    call.state = res.writableFinished ? 'answered' : 'cancelled'
    ended.resolve(call.state)
  })
  const { first, hold } = script(SecretId)
  if (callsFor(SecretId).length === 1) {
    first.resolve(call)
    await hold.promise
  }
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value)
  }
  // The emulator verifies the client's SigV4 signature, made for http://upstream.test/.
  const response = await emulator.fetch(
    new Request(url, { method: req.method ?? 'POST', headers, body: new Uint8Array(body) })
  )
  const answer = Buffer.from(await response.arrayBuffer())
  if (res.destroyed) return
  res.writeHead(response.status, Object.fromEntries(response.headers))
  res.end(answer)
}

class CapturingLog extends Log {
  protected override log(message: string): void {
    logged.push(message)
  }
}

// --- the worker ----------------------------------------------------------------------------------

let mf: Miniflare

beforeAll(async () => {
  const bundle = await build({ ...WORKERD_BUILD_OPTIONS, entryPoints: [FIXTURE] })
  const [output] = bundle.outputFiles
  if (!output) throw new Error('esbuild wrote no worker bundle')
  mf = new Miniflare({
    modules: true,
    script: output.text,
    compatibilityDate: '2026-04-26',
    cf: false,
    host: '127.0.0.1',
    log: new CapturingLog(LogLevel.WARN),
    handleStructuredLogs: ({ level, message }) => {
      logged.push(`[${level}] ${message}`)
    },
    bindings: {
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    },
    outboundService: { node: (req, res) => outbound(req, res) },
  })
  await mf.ready
}, SETUP_TIMEOUT_MS)

afterAll(async () => {
  await mf?.dispose()
})

interface Stats {
  coalescedWaiters: number
  upstreamCalls: number
  misses: number
}

interface State {
  stats: Record<string, Stats>
  events: string[]
}

async function state(mark?: string): Promise<State> {
  const query = mark === undefined ? '' : `?mark=${encodeURIComponent(mark)}`
  const response = await mf.dispatchFetch(`http://worker.test/state${query}`)
  return (await response.json()) as State
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 10))

// Polls the isolate (each poll a request of its own) until `check` holds.
async function until(check: (s: State) => boolean): Promise<State> {
  for (;;) {
    const s = await state()
    if (check(s)) return s
    await pause()
  }
}

const stat = (s: State, waiter: number, name: keyof Stats) => s.stats[waiter]?.[name] ?? 0

let eventsBefore = 0

beforeEach(async () => {
  logged.length = 0
  eventsBefore = (await state()).events.length
})

afterEach(() => {
  // Nothing stays held for the next test, or for dispose.
  for (const { hold, ownerGo } of scripts.values()) {
    hold.resolve()
    ownerGo.resolve()
  }
})

// What workerd logged and the isolate recorded during this test. The worker logs a mark, and
// workerd's output is in order, so every earlier line has arrived once the mark has.
async function aftermath(): Promise<{ logs: string[]; events: string[] }> {
  const mark = `mark-${token()}`
  const { events } = await state(mark)
  while (!logged.some((line) => line.includes(mark))) await pause()
  return {
    logs: logged.filter((line) => !line.includes(mark)),
    events: events.slice(eventsBefore),
  }
}

// No unhandled rejection, and nothing logged at all: no uncaught error, and none of workerd's
// warnings (such as a promise resolved for a request that has ended).
async function expectClean(): Promise<string[]> {
  const { logs, events } = await aftermath()
  expect(events.filter((event) => event.startsWith('unhandledrejection'))).toEqual([])
  expect(logs).toEqual([])
  return events
}

let counter = 0
// A secret nobody has read yet (the isolate's caches live as long as the file).
async function coldSecret(label: string): Promise<{ id: string; value: string }> {
  counter++
  const id = `cache/workerd/${label}/${counter}`
  const value = `value-of-${label}-${counter}-${token()}`
  await ok(emulator, 'CreateSecret', { Name: id, SecretString: value, ClientRequestToken: token() })
  return { id, value }
}

function read(
  id: string,
  params: { waiter: number; mode?: string; tag?: string; keep?: string },
  init: { signal?: AbortSignal } = {}
): ReturnType<Miniflare['dispatchFetch']> {
  const { waiter, ...rest } = params
  const query = new URLSearchParams({ id, waiter: String(waiter), ...rest })
  return mf.dispatchFetch(`http://worker.test/read?${query}`, init)
}

async function answer(
  response: ReturnType<Miniflare['dispatchFetch']>
): Promise<Record<string, unknown>> {
  const r = await response
  return { status: r.status, ...((await r.json()) as Record<string, unknown>) }
}

// WAITERS plain reads, each a request of its own; resolves once all have joined the load in
// flight (counted by the cache as coalesced waiters).
async function joinWaiters(
  id: string,
  waiter: number
): Promise<Promise<Record<string, unknown>>[]> {
  const before = stat(await state(), waiter, 'coalescedWaiters')
  const answers = Array.from({ length: WAITERS }, (_, i) =>
    answer(read(id, { waiter, tag: `waiter-${i}` }))
  )
  await until((s) => stat(s, waiter, 'coalescedWaiters') >= before + WAITERS)
  return answers
}

// Upstream calls per test, as observed (REPORT_UPSTREAM_CALLS=1 prints them).
const observed: Record<string, number> = {}
afterAll(() => {
  if (process.env.REPORT_UPSTREAM_CALLS) console.log('upstream calls per test', observed)
})

// --- tests ---------------------------------------------------------------------------------------

describe('SecretCache in workerd, across concurrent requests to one isolate', () => {
  it(
    'sees an unhandled rejection in the worker (so the checks below would catch one)',
    async () => {
      expect(
        await answer(read('unused', { waiter: PATIENT_MS, mode: 'unhandled', tag: 'probe' }))
      ).toEqual({ status: 200, ok: true })
      // The worker's listener sees it (workerd then logs nothing); aftermath() returning at all
      // shows workerd's log lines reach the test.
      const { events } = await aftermath()
      expect(events).toContain('unhandledrejection: Error: deliberately unhandled: probe')
    },
    TEST_TIMEOUT_MS
  )

  it(
    `${CONCURRENT} concurrent misses, each a request of its own, share one upstream call`,
    async () => {
      const { id, value } = await coldSecret('coalesce')
      const before = await state()
      const answers = Array.from({ length: CONCURRENT }, (_, i) =>
        answer(read(id, { waiter: PATIENT_MS, tag: `reader-${i}` }))
      )
      await script(id).first.promise
      // Everyone but the owner has joined its call, which Node is still holding.
      await until(
        (s) =>
          stat(s, PATIENT_MS, 'coalescedWaiters') >=
          stat(before, PATIENT_MS, 'coalescedWaiters') + CONCURRENT - 1
      )
      expect(callsFor(id)).toHaveLength(1)
      script(id).hold.resolve()
      expect(await Promise.all(answers)).toEqual(
        Array.from({ length: CONCURRENT }, () => ({ status: 200, value }))
      )
      const [call] = callsFor(id)
      expect(await call?.ended).toBe('answered')
      expect(callsFor(id)).toHaveLength(1)
      observed.coalesce = callsFor(id).length
      const after = await state()
      expect(
        stat(after, PATIENT_MS, 'upstreamCalls') - stat(before, PATIENT_MS, 'upstreamCalls')
      ).toBe(1)
      expect(stat(after, PATIENT_MS, 'misses') - stat(before, PATIENT_MS, 'misses')).toBe(
        CONCURRENT
      )
      await expectClean()
    },
    TEST_TIMEOUT_MS
  )

  describe('the request that started the upstream call answers first', () => {
    it(
      'without waitUntil, before the others arrive: its call dies with it, and they take over',
      async () => {
        const { id, value } = await coldSecret('detach-before')
        const owner = answer(read(id, { waiter: IMPATIENT_MS, mode: 'detach', tag: 'owner' }))
        const first = await script(id).first.promise
        script(id).ownerGo.resolve()
        expect(await owner).toEqual({ status: 200, detached: true })
        // workerd cancels the fetch of a request that has ended; the load stays registered.
        expect(await first.ended).toBe('cancelled')
        const answers = await joinWaiters(id, IMPATIENT_MS)
        expect(await Promise.all(answers)).toEqual(
          Array.from({ length: WAITERS }, () => ({ status: 200, value }))
        )
        const made = callsFor(id)
        observed['detach-before'] = made.length
        expect(made.length).toBeGreaterThanOrEqual(2)
        expect(made.length).toBeLessThanOrEqual(1 + WAITERS)
        expect(made.slice(1).map((call) => call.state)).not.toContain('cancelled')
        const events = await expectClean()
        expect(events.filter((event) => event.includes(': owner'))).toEqual([])
      },
      TEST_TIMEOUT_MS
    )

    it(
      'without waitUntil, while the others wait for its call: they take over',
      async () => {
        const { id, value } = await coldSecret('detach-during')
        const owner = answer(read(id, { waiter: IMPATIENT_MS, mode: 'detach', tag: 'owner' }))
        const first = await script(id).first.promise
        const answers = await joinWaiters(id, IMPATIENT_MS)
        script(id).ownerGo.resolve()
        expect(await owner).toEqual({ status: 200, detached: true })
        expect(await first.ended).toBe('cancelled')
        expect(await Promise.all(answers)).toEqual(
          Array.from({ length: WAITERS }, () => ({ status: 200, value }))
        )
        const made = callsFor(id)
        observed['detach-during'] = made.length
        expect(made.length).toBeGreaterThanOrEqual(2)
        expect(made.length).toBeLessThanOrEqual(1 + WAITERS)
        const events = await expectClean()
        expect(events.filter((event) => event.includes(': owner'))).toEqual([])
      },
      TEST_TIMEOUT_MS
    )

    it(
      'with waitUntil: its call outlives it and answers everyone (one upstream call)',
      async () => {
        const { id, value } = await coldSecret('background')
        const owner = answer(read(id, { waiter: PATIENT_MS, mode: 'background', tag: 'owner' }))
        const first = await script(id).first.promise
        const answers = await joinWaiters(id, PATIENT_MS)
        script(id).ownerGo.resolve()
        expect(await owner).toEqual({ status: 200, detached: true })
        // The owner has answered; its call, kept by waitUntil, is still held here.
        expect(first.state).toBe('pending')
        script(id).hold.resolve()
        // The patient waiters would hang (and the test time out) had the call died with the owner.
        expect(await Promise.all(answers)).toEqual(
          Array.from({ length: WAITERS }, () => ({ status: 200, value }))
        )
        expect(await first.ended).toBe('answered')
        expect(callsFor(id)).toHaveLength(1)
        observed.background = callsFor(id).length
        expect(await expectClean()).toContain('settled: owner')
      },
      TEST_TIMEOUT_MS
    )
  })

  it(
    'an owner still waiting for a slow call: the waiters take over after waiterTimeoutMs, and all get the value',
    async () => {
      const { id, value } = await coldSecret('slow')
      const owner = answer(read(id, { waiter: IMPATIENT_MS, tag: 'owner' }))
      const first = await script(id).first.promise
      const answers = await joinWaiters(id, IMPATIENT_MS)
      // The owner's call is still held: the waiters get their value from a call of their own.
      expect(await Promise.all(answers)).toEqual(
        Array.from({ length: WAITERS }, () => ({ status: 200, value }))
      )
      expect(first.state).toBe('pending')
      script(id).hold.resolve()
      expect(await owner).toEqual({ status: 200, value })
      expect(await first.ended).toBe('answered')
      const made = callsFor(id)
      observed.slow = made.length
      expect(made.length).toBeGreaterThanOrEqual(2)
      expect(made.length).toBeLessThanOrEqual(1 + WAITERS)
      // When the owner's call answers, each waiter's request has ended: nothing of theirs may be
      // left for it to settle (workerd would warn of a promise settled from another request).
      await expectClean()
    },
    TEST_TIMEOUT_MS
  )

  describe('the request that started the upstream call is cancelled (aborts its read)', () => {
    it(
      'without waitUntil: it answers with the abort, its call dies, and the waiters take over',
      async () => {
        const { id, value } = await coldSecret('abort')
        const owner = answer(read(id, { waiter: IMPATIENT_MS, mode: 'abort', tag: 'owner' }))
        const first = await script(id).first.promise
        const answers = await joinWaiters(id, IMPATIENT_MS)
        script(id).ownerGo.resolve()
        expect(await owner).toEqual({ status: 200, aborted: 'Error: the owner stopped waiting' })
        expect(await first.ended).toBe('cancelled')
        expect(await Promise.all(answers)).toEqual(
          Array.from({ length: WAITERS }, () => ({ status: 200, value }))
        )
        const made = callsFor(id)
        observed.abort = made.length
        expect(made.length).toBeGreaterThanOrEqual(2)
        expect(made.length).toBeLessThanOrEqual(1 + WAITERS)
        await expectClean()
      },
      TEST_TIMEOUT_MS
    )

    it(
      'with waitUntil: its call goes on and answers the waiters (one upstream call)',
      async () => {
        const { id, value } = await coldSecret('abort-keep')
        const owner = answer(
          read(id, { waiter: PATIENT_MS, mode: 'abort', keep: '1', tag: 'owner' })
        )
        const first = await script(id).first.promise
        const answers = await joinWaiters(id, PATIENT_MS)
        script(id).ownerGo.resolve()
        expect(await owner).toEqual({ status: 200, aborted: 'Error: the owner stopped waiting' })
        expect(first.state).toBe('pending')
        script(id).hold.resolve()
        expect(await Promise.all(answers)).toEqual(
          Array.from({ length: WAITERS }, () => ({ status: 200, value }))
        )
        expect(await first.ended).toBe('answered')
        expect(callsFor(id)).toHaveLength(1)
        observed['abort-keep'] = callsFor(id).length
        await expectClean()
      },
      TEST_TIMEOUT_MS
    )
  })

  it(
    'an owner whose client disconnects (dispatchFetch aborted) strands none of the others',
    async () => {
      const { id, value } = await coldSecret('disconnect')
      const controller = new AbortController()
      const owner = read(id, { waiter: IMPATIENT_MS, tag: 'owner' }, { signal: controller.signal })
      const settled = owner.then(
        () => 'answered',
        (error: unknown) => (error instanceof Error ? error.name : String(error))
      )
      await script(id).first.promise
      const answers = await joinWaiters(id, IMPATIENT_MS)
      controller.abort()
      expect(await settled).toBe('AbortError')
      script(id).hold.resolve()
      expect(await Promise.all(answers)).toEqual(
        Array.from({ length: WAITERS }, () => ({ status: 200, value }))
      )
      const made = callsFor(id)
      observed.disconnect = made.length
      expect(made.length).toBeGreaterThanOrEqual(1)
      expect(made.length).toBeLessThanOrEqual(1 + WAITERS)
      const { events } = await aftermath()
      expect(events.filter((event) => event.startsWith('unhandledrejection'))).toEqual([])
    },
    TEST_TIMEOUT_MS
  )
})
