// Item 2 of issue 8, inside standalone workerd (the npm binary, no compatibility flags): a signed
// GetSecretValue against a local stub, sequential and 32 concurrent, as a ratio to an unsigned
// fetch of the same stub; the cost per call with a canned fetch; start to first response against
// an empty Worker. Ours (SecretsManagerClient.getSecretValue) against raw aws4fetch
// (AwsClient.fetch, retries 0) and the SDK (@aws-sdk/client-secrets-manager, browser build).
//
// Everything is timed from outside the isolate, because timers inside workerd advance only on
// I/O: the Node driver times one HTTP request to a Worker that performs n calls and then answers.
// Each row's note adds the CPU time workerd spent per call (from /proc, all its threads), which
// other load on this machine inflates far less than the wall time.
//
// The stub Secrets Manager is a small Node http server in a child process of its own, so the
// calls take workerd's real network path, as they do in production, and the stub runs beside
// workerd rather than on its thread. It gave the steadier floor: over three runs under heavy
// load its min–max spanned 2.5–3.5×, against 4–6× for a stub Worker as workerd's globalOutbound
// (`stubMode: 'workerd'`, kept for comparison), which skips the network and is up to 2.5× faster.
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as delay } from 'node:timers/promises'
import { build } from 'esbuild'
import { interleave, rowsFrom, stats } from './lib.mjs'

const SECTION = 'workerd'
const COMPATIBILITY_DATE = '2026-04-26'
// Calls per sample. One driver request costs about 1 ms, under 1 % of a sample.
const SEQUENTIAL_CALLS = 200
const CONCURRENT_CALLS = 640
const CONCURRENCY = 32
const CANNED_CALLS = 1000
// Samples per variant and round: short samples, interleaved often, so that a burst of load from
// elsewhere on the machine falls on every variant alike.
const INNER_ROUNDS = 4
// Starts per variant and round.
const STARTS_PER_ROUND = 4
// Every process this module starts is killed by then at the latest.
const PROCESS_LIFETIME_S = 600
// How long a Worker may take to answer its first request.
const START_LIMIT_MS = 20_000

// The stub's answer: what Secrets Manager returns for GetSecretValue.
const SECRET_RESPONSE = JSON.stringify({
  ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/db-AbCdEf',
  Name: 'bench/db',
  VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
  SecretString: JSON.stringify({ username: 'app', password: 'correct horse battery staple' }),
  VersionStages: ['AWSCURRENT'],
  CreatedDate: 1_700_000_000.123,
})

// The part every Worker shares. GET /run?n=&concurrency= performs n calls with at most
// `concurrency` in flight; GET /canned?n= performs n calls against a canned fetch; GET / performs
// one call (the first response of the start figure). Each variant defines `makeCall(env)` and
// `makeCannedCall(env)`, each returning `() => Promise<string>` (the SecretString).
const HARNESS = `
const SECRET_ID = 'bench/db'
const CONTENT_TYPE = 'application/x-amz-json-1.1'
const CANNED_BODY = ${JSON.stringify(SECRET_RESPONSE)}
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
let cannedHeaders
// A prebuilt Response, as a canned fetch returns it (a body can be read once: one per call).
function cannedResponse() {
  cannedHeaders ??= { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': 'canned', date: new Date().toUTCString() }
  return new Response(CANNED_BODY, { status: 200, headers: cannedHeaders })
}
function requestBody() {
  return JSON.stringify({ SecretId: SECRET_ID })
}
async function decode(response) {
  if (!response.ok) throw new Error('HTTP ' + response.status)
  // Decoded by hand, as the client does: workerd warns on .text() for x-amz-json-1.1.
  return JSON.parse(new TextDecoder().decode(await response.arrayBuffer())).SecretString
}
async function many(call, n, concurrency) {
  let started = 0
  let failed = 0
  let firstError
  const lane = async () => {
    while (started < n) {
      started++
      try {
        if (typeof (await call()) !== 'string') throw new Error('no SecretString')
      } catch (e) {
        failed++
        firstError ??= e
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane))
  return { failed, firstError }
}
let call
let cannedCall
export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    const n = Number(url.searchParams.get('n') ?? 1)
    const concurrency = Number(url.searchParams.get('concurrency') ?? 1)
    const fn = url.pathname === '/canned' ? (cannedCall ??= makeCannedCall(env)) : (call ??= makeCall(env))
    const { failed, firstError } = await many(fn, n, concurrency)
    if (failed > 0) {
      return new Response(failed + ' of ' + n + ' failed: ' + (firstError?.stack ?? firstError), { status: 500 })
    }
    return new Response(String(n))
  },
}
`

const VARIANTS = {
  floor: `
function makeCall(env) {
  return async () => decode(await fetch(env.STUB_URL, {
    method: 'POST',
    headers: { 'content-type': CONTENT_TYPE, 'x-amz-target': 'secretsmanager.GetSecretValue' },
    body: requestBody(),
  }))
}
// The floor of the canned figure: a loop that only builds the canned response.
function makeCannedCall() {
  return async () => (cannedResponse(), '')
}
`,
  ours: (entry) => `
import { SecretsManagerClient } from ${JSON.stringify(entry)}
function makeCall(env) {
  const sm = new SecretsManagerClient({ region: 'us-east-1', credentials: CREDENTIALS, endpoint: env.STUB_URL })
  return async () => (await sm.getSecretValue({ SecretId: SECRET_ID })).SecretString
}
function makeCannedCall(env) {
  const sm = new SecretsManagerClient({
    region: 'us-east-1', credentials: CREDENTIALS, endpoint: env.STUB_URL,
    fetch: async () => cannedResponse(),
  })
  return async () => (await sm.getSecretValue({ SecretId: SECRET_ID })).SecretString
}
`,
  aws4fetch: `
import { AwsClient } from 'aws4fetch'
function init() {
  return {
    method: 'POST',
    headers: { 'content-type': CONTENT_TYPE, 'x-amz-target': 'secretsmanager.GetSecretValue' },
    body: requestBody(),
    aws: { service: 'secretsmanager', region: 'us-east-1' },
  }
}
function makeCall(env) {
  const aws = new AwsClient({ ...CREDENTIALS, retries: 0 })
  return async () => decode(await aws.fetch(env.STUB_URL, init()))
}
// What AwsClient.fetch does with retries: 0, with the canned fetch in place of the global one.
function makeCannedCall(env) {
  const aws = new AwsClient({ ...CREDENTIALS, retries: 0 })
  const cannedFetch = async () => cannedResponse()
  return async () => decode(await cannedFetch(await aws.sign(env.STUB_URL, init())))
}
`,
  sdk: `
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { HttpResponse } from '@smithy/core/transport'
function makeCall(env) {
  const sm = new SecretsManagerClient({ region: 'us-east-1', credentials: CREDENTIALS, endpoint: env.STUB_URL })
  return async () => (await sm.send(new GetSecretValueCommand({ SecretId: SECRET_ID }))).SecretString
}
// A requestHandler that answers every request with the canned response, handed on the way
// FetchHttpHandler hands on a fetched one.
function makeCannedCall(env) {
  const requestHandler = {
    async handle() {
      const response = cannedResponse()
      const headers = {}
      for (const [name, value] of response.headers) headers[name] = value
      return { response: new HttpResponse({ statusCode: response.status, headers, body: response.body }) }
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() { return {} },
  }
  const sm = new SecretsManagerClient({ region: 'us-east-1', credentials: CREDENTIALS, endpoint: env.STUB_URL, requestHandler })
  return async () => (await sm.send(new GetSecretValueCommand({ SecretId: SECRET_ID }))).SecretString
}
`,
}

// The floor of the start figure: a Worker that answers at once.
const EMPTY_WORKER = `export default { fetch() { return new Response('ok') } }\n`

// The stub as a Worker, for `stubMode: 'workerd'`.
const STUB_WORKER = `const BODY = ${JSON.stringify(SECRET_RESPONSE)}
export default {
  async fetch(request) {
    await request.arrayBuffer()
    return new Response(BODY, { headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'stub', date: new Date().toUTCString() } })
  },
}
`

/**
 * The source of one benchmark Worker, to bundle from the repo root.
 *
 * @param {'floor' | 'ours' | 'aws4fetch' | 'sdk' | 'empty'} variant
 * @param {string} [entry] For 'ours': the client entry file.
 * @returns {string}
 */
export function workerSource(variant, entry) {
  if (variant === 'empty') return EMPTY_WORKER
  if (variant === 'ours') return VARIANTS.ours(entry) + HARNESS
  return VARIANTS[variant] + HARNESS
}

/**
 * Bundles a Worker with the repo's workerd options (test/support/workerd-bundle.ts), but for
 * platform 'browser', so that the SDK's package.json "browser" map picks its browser runtime
 * config, as the issue asks ("browser build").
 *
 * @param {string} contents
 * @param {string} root Where imports resolve from.
 * @param {string} outfile
 * @param {boolean} [minify]
 */
export async function bundle(contents, root, outfile, minify = true) {
  await build({
    stdin: { contents, resolveDir: root, loader: 'js', sourcefile: 'entry.js' },
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    minify,
    logLevel: 'silent',
  })
}

async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

// Starts a process in a group of its own under `timeout`, so that it dies after
// PROCESS_LIFETIME_S even if this process is killed before its finally blocks run.
function startProcess(command, args, options = {}) {
  const child = spawn('timeout', ['-s', 'KILL', String(PROCESS_LIFETIME_S), command, ...args], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...options,
  })
  let output = ''
  const keep = (chunk) => {
    output = (output + chunk).slice(-4000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  let exited = false
  const gone = new Promise((resolve) => child.once('exit', resolve)).then(() => {
    exited = true
  })
  return {
    output: () => output,
    exited: () => exited,
    // The pid of the program `timeout` runs (its only child).
    pid() {
      const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')
      return Number(children.trim().split(' ')[0]) || child.pid
    },
    async stop() {
      if (exited) return
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
      await Promise.race([gone, delay(2000)])
    },
  }
}

// CPU time (ns) of every thread of a process so far, from the scheduler's own accounting.
function cpuNs(pid) {
  let total = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    } catch {}
  }
  return total
}

// The stub Secrets Manager: a Node http server in a child process that answers every request
// with the fixed GetSecretValue response (Node adds the Date header), and exits when its stdin
// (our pipe) closes.
async function startStub() {
  const port = await freePort()
  const code = `
    const http = require('node:http')
    const body = Buffer.from(${JSON.stringify(SECRET_RESPONSE)})
    const server = http.createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': body.length, 'x-amzn-requestid': 'stub' })
        res.end(body)
      })
    })
    server.keepAliveTimeout = 60_000
    server.listen(${port}, '127.0.0.1', () => console.log('listening'))
    process.stdin.on('end', () => process.exit(0))
    process.stdin.resume()
  `
  const stub = startProcess(process.execPath, ['-e', code])
  const deadline = Date.now() + 10_000
  while (!stub.output().includes('listening')) {
    if (stub.exited() || Date.now() > deadline) {
      await stub.stop()
      throw new Error(`the stub did not start: ${stub.output().slice(-500)}`)
    }
    await delay(5)
  }
  return { ...stub, url: `http://127.0.0.1:${port}/` }
}

// A workerd config: each service a Worker on its own socket, whose fetch goes to the stub.
function capnp(services, stubUrl, stubMode) {
  const outbound = stubMode === 'workerd' ? 'stub' : 'loopback'
  const stubService =
    stubMode === 'workerd'
      ? `\n    (name = "stub", worker = (modules = [ (name = "stub.js", esModule = embed "stub.js") ], compatibilityDate = "${COMPATIBILITY_DATE}")),`
      : ''
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    ${services.map(({ name }) => `(name = "${name}", worker = .${name}Worker),`).join('\n    ')}
    (name = "loopback", network = (allow = ["local"])),${stubService}
  ],
  sockets = [
    ${services
      .map(
        ({ name, port }) =>
          `(name = "${name}", address = "127.0.0.1:${port}", http = (), service = "${name}")`
      )
      .join(',\n    ')}
  ] );
${services
  .map(
    ({ name }) => `const ${name}Worker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "${name}.js") ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  bindings = [ (name = "STUB_URL", text = "${stubUrl}") ],
  globalOutbound = "${outbound}" );`
  )
  .join('\n')}
`
}

// The native binary that node_modules/.bin/workerd runs, started directly: the Node shim's own
// start-up (about 50 ms) would otherwise be added to every start sample.
function workerdBinary(root) {
  return createRequire(join(root, 'package.json'))('workerd').default
}

async function get(url) {
  const response = await fetch(url)
  const text = await response.text()
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}: ${text}`)
  return text
}

// Polls until the Worker answers 200; returns the time since `start`.
async function untilFirst200(url, start, proc) {
  for (;;) {
    let response
    try {
      response = await fetch(url)
    } catch {
      // Not listening yet.
    }
    if (response !== undefined) {
      const text = await response.text()
      if (response.status === 200) return performance.now() - start
      throw new Error(`${url}: HTTP ${response.status}: ${text.slice(0, 300)}`)
    }
    if (proc.exited()) throw new Error(`workerd exited: ${proc.output().slice(-500)}`)
    if (performance.now() - start > START_LIMIT_MS) {
      throw new Error(`${url}: no answer in ${START_LIMIT_MS} ms: ${proc.output().slice(-300)}`)
    }
    await delay(2)
  }
}

// Interleaved samples, one request each: `value(ms)` per variant (label → URL), with workerd's
// CPU time per call kept on the side.
async function sampleRequests(urls, pid, calls, value, rounds) {
  const cpu = {}
  const samples = await interleave(
    Object.fromEntries(
      Object.entries(urls).map(([label, url]) => [
        label,
        async () => {
          const cpuBefore = cpuNs(pid)
          const start = performance.now()
          await get(url)
          const ms = performance.now() - start
          cpu[label] ??= []
          cpu[label].push((cpuNs(pid) - cpuBefore) / 1000 / calls)
          return value(ms)
        },
      ])
    ),
    rounds
  )
  return { samples, cpu }
}

// Appends "workerd CPU x µs/call (r× floor's)" to each row's note.
function withCpu(rows, cpu, floor) {
  const floorCpu = stats(cpu[floor]).value
  for (const row of rows) {
    const value = stats(cpu[row.name]).value
    const ratio = row.name === floor ? '' : `, ${(value / floorCpu).toFixed(2)}× floor's`
    const text = `workerd CPU ${value.toFixed(0)} µs/call${ratio}`
    row.note = row.note ? `${row.note}; ${text}` : text
  }
  return rows
}

// The goal of our rows: `floorGoal` on the ratio (if any), and ahead of the SDK.
function goalsFor(names, samples, higherIsBetter, floorGoal) {
  const sdk = stats(samples.SDK).value
  return Object.fromEntries(
    names.map((name) => {
      const value = stats(samples[name]).value
      const ahead = higherIsBetter ? value > sdk : value < sdk
      const text = floorGoal ? `${floorGoal[0]}, ahead of SDK` : 'ahead of SDK'
      return [name, [text, (ratio) => ahead && (!floorGoal || floorGoal[1](ratio))]]
    })
  )
}

/**
 * @param {object} options
 * @param {number} options.rounds
 * @param {string} options.root
 * @param {Record<string, string>} [options.ours] Row name → client entry file (default
 *   `{ ours: <root>/src/client/index.ts }`): several compare changed copies of the client in one
 *   run. Names must be identifiers.
 * @param {'node' | 'workerd'} [options.stubMode] The stub as a Node process, or as a Worker.
 * @param {string[]} [options.parts] Which figures: 'throughput', 'canned', 'start'.
 * @returns {Promise<import('./lib.mjs').Row[]>}
 */
export async function run({
  rounds,
  root,
  ours = { ours: join(root, 'src/client/index.ts') },
  stubMode = 'node',
  parts = ['throughput', 'canned', 'start'],
}) {
  const out = join(root, 'bench/.out/2-workerd')
  mkdirSync(out, { recursive: true })
  const oursNames = Object.keys(ours)
  const sources = { floor: workerSource('floor') }
  for (const [name, entry] of Object.entries(ours)) sources[name] = workerSource('ours', entry)
  sources.aws4fetch = workerSource('aws4fetch')
  sources.sdk = workerSource('sdk')
  sources.empty = workerSource('empty')
  await Promise.all(
    Object.entries(sources).map(([name, source]) => bundle(source, root, join(out, `${name}.js`)))
  )
  writeFileSync(join(out, 'stub.js'), STUB_WORKER)
  const measured = ['floor', ...oursNames, 'aws4fetch', 'sdk']
  const binary = workerdBinary(root)
  const procs = []
  const rows = []
  try {
    let stubUrl = 'http://stub.invalid/'
    if (stubMode === 'node') {
      const stub = await startStub()
      procs.push(stub)
      stubUrl = stub.url
    }

    if (parts.includes('throughput') || parts.includes('canned')) {
      // Every variant in one workerd process, each on its own socket.
      const services = []
      for (const name of measured) services.push({ name, port: await freePort() })
      const config = join(out, 'all.capnp')
      writeFileSync(config, capnp(services, stubUrl, stubMode))
      const workerd = startProcess(binary, ['serve', config], { cwd: out })
      procs.push(workerd)
      const base = {}
      for (const { name, port } of services) {
        base[name] = `http://127.0.0.1:${port}`
        await untilFirst200(`${base[name]}/`, performance.now(), workerd)
      }
      // Warm up: compile, connect, derive the signing keys.
      for (const name of measured) {
        await get(`${base[name]}/run?n=200&concurrency=${CONCURRENCY}`)
        await get(`${base[name]}/canned?n=500`)
      }
      const pid = workerd.pid()
      const label = (name, floor) => (name === 'floor' ? floor : name === 'sdk' ? 'SDK' : name)
      const labels = (floor, url) =>
        Object.fromEntries(measured.map((name) => [label(name, floor), url(name)]))

      if (parts.includes('throughput')) {
        for (const [mode, n, concurrency, goal] of [
          ['sequential', SEQUENTIAL_CALLS, 1, 0.8],
          [`${CONCURRENCY} concurrent`, CONCURRENT_CALLS, CONCURRENCY, 0.7],
        ]) {
          const floor = 'unsigned fetch'
          const urls = labels(
            floor,
            (name) => `${base[name]}/run?n=${n}&concurrency=${concurrency}`
          )
          const { samples, cpu } = await sampleRequests(
            urls,
            pid,
            n,
            (ms) => (n * 1000) / ms,
            rounds * INNER_ROUNDS
          )
          const section = `${SECTION}: signed GetSecretValue against the stub, ${mode}`
          const goals = goalsFor(oursNames, samples, true, [
            `≥ ${goal}× floor`,
            (ratio) => ratio >= goal,
          ])
          rows.push(
            ...withCpu(rowsFrom(section, samples, { unit: 'calls/s', floor, goals }), cpu, floor)
          )
        }
      }

      if (parts.includes('canned')) {
        const floor = 'build the canned Response'
        const urls = labels(floor, (name) => `${base[name]}/canned?n=${CANNED_CALLS}`)
        const { samples, cpu } = await sampleRequests(
          urls,
          pid,
          CANNED_CALLS,
          (ms) => (ms * 1000) / CANNED_CALLS,
          rounds * INNER_ROUNDS
        )
        const section = `${SECTION}: cost per call with a canned fetch`
        const goals = goalsFor(oursNames, samples, false)
        const notes = { aws4fetch: 'aws.sign + canned fetch', SDK: 'canned requestHandler' }
        rows.push(
          ...withCpu(rowsFrom(section, samples, { unit: 'µs', floor, goals, notes }), cpu, floor)
        )
      }
      await workerd.stop()
    }

    if (parts.includes('start')) {
      // One workerd per Worker; the sample is spawn → first 200 (one secret read from the stub).
      const starters = ['empty', ...oursNames, 'aws4fetch', 'sdk']
      const configs = {}
      for (const name of starters) {
        const port = await freePort()
        const file = join(out, `start-${name}.capnp`)
        writeFileSync(file, capnp([{ name, port }], stubUrl, stubMode))
        configs[name] = { file, url: `http://127.0.0.1:${port}/` }
      }
      const startOnce = async (name) => {
        const { file, url } = configs[name]
        const start = performance.now()
        const proc = startProcess(binary, ['serve', file], { cwd: out })
        try {
          return await untilFirst200(url, start, proc)
        } finally {
          await proc.stop()
        }
      }
      const floor = 'empty Worker'
      const label = (name) => (name === 'empty' ? floor : name === 'sdk' ? 'SDK' : name)
      const samples = await interleave(
        Object.fromEntries(starters.map((name) => [label(name), () => startOnce(name)])),
        rounds * STARTS_PER_ROUND
      )
      const goals = goalsFor(oursNames, samples, false, ['≤ 1.2× floor', (ratio) => ratio <= 1.2])
      rows.push(
        ...rowsFrom(`${SECTION}: start to first response`, samples, {
          unit: 'ms',
          floor,
          goals,
          notes: {
            [floor]: 'answers at once',
            ...Object.fromEntries(starters.slice(1).map((n) => [label(n), 'reads one secret'])),
          },
        })
      )
    }
  } finally {
    for (const proc of procs.reverse()) await proc.stop()
  }
  return rows
}
