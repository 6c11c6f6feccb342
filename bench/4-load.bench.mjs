// Issue 8, item 4: the worker under load. autocannon on 127.0.0.1 against the worker's
// `GET /v1/secrets/{id}` answered from its in-memory cache, and against the floor: a bare Hono
// route answering the same JSON body, in the same harness. Both run in Miniflare (the
// workerd from the npm registry), bundled by esbuild as the Miniflare tests bundle, with the
// same bindings: the SECRETS_CACHE KV namespace, and READ_LIMITER and WRITE_LIMITER set to a
// limit no bench reaches (the worker calls the limiter on every read; it must never refuse
// here). The worker's per-request log line stays on (console.log of its JSON); workerd's
// stdout is read and counted here instead of printed, so the table stays readable.
//
// The upstream is the embedded emulator (as `src/worker/dev.ts`, with a bench grant and an
// in-memory store); the secret is written and read once before the measurement, so every
// measured read is a memory hit, which the counted log lines confirm.
//
// Beside the rates, the CPU time workerd spent per request (Linux: the schedstat of its threads),
// which a loaded machine disturbs much less than a rate: it says what a request costs.
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { interleave, rowsFrom, stats, WORKERD_BUILD_OPTIONS } from './lib.mjs'

const SECTION = 'Worker under load'
const CONNECTIONS = 16
const SECONDS = 5
// The request bound of one run (maxOverallRequests: autocannon's `amount` would switch the time
// bound off), far above what 2 cores serve in SECONDS, so the time bound ends it.
const MAX_REQUESTS = 400_000
const WARMUP_SECONDS = 1
const SECRET_ID = 'bench/load/db'
const SECRET_STRING = JSON.stringify({ username: 'bench', password: 'x'.repeat(32), port: 5432 })
// Above any rate a bench run reaches; the worker calls READ_LIMITER on every read.
const NO_LIMIT = { simple: { limit: 1_000_000_000, period: 10 } }
const WORKER = 'worker: GET /v1/secrets/{id} (memory hit, log on)'
const FLOOR = 'floor: Hono route, same JSON'

const BUILD = WORKERD_BUILD_OPTIONS

async function bundle(contents, resolveDir) {
  const result = await build({ ...BUILD, stdin: { contents, resolveDir, loader: 'ts' } })
  return result.outputFiles[0].text
}

// The worker as the dev entry makes it, with a bench grant and a memory-backed emulator.
const workerEntry = (grants) => `
import { createEmulator } from './src/emulator/index.js'
import { createSecretsApp } from './src/worker/index.js'

let local: ReturnType<typeof createEmulator> | undefined
export default createSecretsApp({
  grants: ${JSON.stringify(grants)},
  clientOptions: (env) => {
    local ??= createEmulator({})
    const emulator = local
    return {
      region: env.AWS_REGION ?? 'us-east-1',
      credentials: { accessKeyId: 'AKIAEDGESECRETSBENCH', secretAccessKey: 'bench' },
      endpoint: 'http://emulator.localhost',
      fetch: (input, init) => emulator.fetch(new Request(input, init)),
    }
  },
})
`

// The floor: the same runtime, router and JSON body; no auth, cache, limiter or log.
const floorEntry = (body) => `
import { Hono } from 'hono'
const BODY = ${body}
const app = new Hono()
app.get('/v1/secrets/*', (c) => c.json(BODY))
export default app
`

// Counts workerd's stdout lines (the log lines) and how many say the read was a memory hit.
function stdoutCounter() {
  const counts = { lines: 0, memory: 0 }
  const marker = Buffer.from('"cache":"memory"')
  let tail = Buffer.alloc(0)
  const count = (chunk) => {
    const buffer = tail.length === 0 ? chunk : Buffer.concat([tail, chunk])
    for (let i = buffer.indexOf(10); i !== -1; i = buffer.indexOf(10, i + 1)) counts.lines++
    for (let i = buffer.indexOf(marker); i !== -1; i = buffer.indexOf(marker, i + 1))
      counts.memory++
    // Keep a marker split across chunks for the next one (without counting it twice).
    const last = buffer.lastIndexOf(10)
    tail = buffer.subarray(Math.max(last + 1, buffer.length - marker.length + 1))
  }
  return {
    counts,
    handle: (stdout, stderr) => {
      stdout.on('data', count)
      stderr.resume()
    },
  }
}

// The workerd processes Miniflare started for this process (Linux /proc; none elsewhere).
function workerdChildren() {
  try {
    return readdirSync('/proc').filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        return stat.includes('(workerd)') && ppid === process.pid
      } catch {
        return false
      }
    })
  } catch {
    return []
  }
}

// Nanoseconds a process has run on a CPU, summed over its threads.
function cpuNanos(pid) {
  let sum = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // The thread ended.
    }
  }
  return sum
}

async function start(script, counter) {
  const before = new Set(workerdChildren())
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: '2026-04-26',
    cf: false,
    host: '127.0.0.1',
    port: 0,
    kvNamespaces: ['SECRETS_CACHE'],
    ratelimits: { READ_LIMITER: NO_LIMIT, WRITE_LIMITER: NO_LIMIT },
    bindings: {
      AWS_REGION: 'us-east-1',
      AWS_ACCOUNT_ID: '123456789012',
      CACHE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    },
    handleRuntimeStdio: counter.handle,
  })
  const url = await mf.ready
  const started = workerdChildren().filter((pid) => !before.has(pid))
  return { mf, url: new URL(url).origin, pid: started.length === 1 ? started[0] : undefined }
}

const drain = () => new Promise((resolve) => setTimeout(resolve, 300))

function load(url, headers, seconds) {
  return autocannon({
    url,
    headers,
    connections: CONNECTIONS,
    duration: seconds,
    maxOverallRequests: MAX_REQUESTS,
    timeout: 5,
  })
}

/** @param {{ rounds: number, root: string }} options */
export async function run({ rounds, root }) {
  const token = `esk_${randomBytes(32).toString('base64url')}`
  const grants = [
    {
      name: 'bench',
      tokenSha256: [createHash('sha256').update(token).digest('hex')],
      actions: ['read', 'write'],
      secrets: ['bench/*'],
    },
  ]
  const headers = { authorization: `Bearer ${token}` }
  const path = `/v1/secrets/${encodeURIComponent(SECRET_ID)}`

  const servers = []
  try {
    const workerOut = stdoutCounter()
    const worker = await start(await bundle(workerEntry(grants), root), workerOut)
    servers.push(worker)

    // Write the secret (the worker's own POST), then read it once to fill the cache.
    const created = await fetch(`${worker.url}/v1/secrets`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ Name: SECRET_ID, SecretString: SECRET_STRING }),
    })
    if (created.status !== 201) throw new Error(`creating the secret answered ${created.status}`)
    await created.arrayBuffer()
    let body = ''
    for (const expected of ['upstream', 'memory']) {
      const read = await fetch(worker.url + path, { headers })
      body = await read.text()
      const cache = read.headers.get('x-edge-secrets-cache')
      if (read.status !== 200 || cache !== expected) {
        throw new Error(`warming the cache: ${read.status}, cache ${cache} (wanted ${expected})`)
      }
    }

    const floorOut = stdoutCounter()
    const floor = await start(await bundle(floorEntry(body), root), floorOut)
    servers.push(floor)
    const check = await fetch(floor.url + path, { headers })
    if ((await check.text()) !== body) throw new Error('the floor answers another body')

    const targets = { [WORKER]: worker, [FLOOR]: floor }
    // JIT and connection warm-up, not measured.
    for (const { url } of Object.values(targets)) await load(url + path, headers, WARMUP_SECONDS)

    const results = { [WORKER]: [], [FLOOR]: [] }
    const cpu = { [`CPU ${WORKER}`]: [], [`CPU ${FLOOR}`]: [] }
    // workerd's stdout reaches Node a little after the responses: let it drain around the count.
    await drain()
    const before = { ...workerOut.counts }
    const samples = await interleave(
      Object.fromEntries(
        Object.entries(targets).map(([name, { url, pid }]) => [
          name,
          async () => {
            const cpuBefore = pid === undefined ? 0 : cpuNanos(pid)
            const result = await load(url + path, headers, SECONDS)
            if (pid !== undefined) {
              cpu[`CPU ${name}`].push((cpuNanos(pid) - cpuBefore) / 1000 / result.requests.total)
            }
            results[name].push(result)
            return result.requests.total / result.duration
          },
        ])
      ),
      rounds
    )
    await drain()
    const requests = results[WORKER].reduce((sum, r) => sum + r.requests.total, 0)
    const lines = workerOut.counts.lines - before.lines
    const memory = workerOut.counts.memory - before.memory

    const rows = rowsFrom(SECTION, samples, {
      unit: 'req/s',
      floor: FLOOR,
      goals: { [WORKER]: ['≥ 0.7× floor', (ratio) => ratio >= 0.7] },
      notes: {
        [WORKER]: `${CONNECTIONS} connections, ${rounds} × ${SECONDS} s; ${lines} log lines (${memory === lines ? 'all' : memory} memory hits) for ${requests} counted responses`,
        [FLOOR]: `Miniflare, same bindings; READ_LIMITER and WRITE_LIMITER at ${NO_LIMIT.simple.limit} per ${NO_LIMIT.simple.period} s`,
      },
    })
    const p99 = Object.fromEntries(
      Object.entries(results).map(([name, list]) => [`p99 ${name}`, list.map((r) => r.latency.p99)])
    )
    rows.push(...rowsFrom(SECTION, p99, { unit: 'ms', floor: `p99 ${FLOOR}` }))
    if (Object.values(cpu).every((list) => list.length === rounds)) {
      rows.push(
        ...rowsFrom(SECTION, cpu, {
          unit: 'µs',
          floor: `CPU ${FLOOR}`,
          notes: { [`CPU ${WORKER}`]: 'workerd CPU time per request, all its threads' },
        })
      )
    }
    for (const [name, list] of Object.entries(results)) {
      const failed = list.map((r) => r.errors + r.non2xx)
      const total = failed.reduce((sum, n) => sum + n, 0)
      rows.push({
        section: SECTION,
        name: `errors + non-2xx, ${name}`,
        value: total,
        unit: 'responses',
        goal: '= 0',
        met: total === 0,
        note: `all rounds, timeouts included; per round ${stats(failed).min}–${stats(failed).max}`,
      })
    }
    return rows
  } finally {
    for (const { mf } of servers) await mf.dispose()
  }
}
