// Item 5 of the benchmarks issue: Node, Deno and Bun. Cold start to the first secret, sustained
// signed GetSecretValue calls per second against a local stub and with a canned `fetch`, and
// what a signature's crypto costs per call: node:crypto (which the SDK signs with on every
// runtime), WebCrypto (aws4fetch) and the client's own JavaScript SHA-256 (src/client/sha256.ts).
// Every variant runs in its own process of the runtime under test; the stub is a Node http server
// in this process. ours = dist/client (built by `npm run build` when missing or stale).
import { execFileSync, spawn } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { interleave, rowsFrom, stats } from './lib.mjs'

// Cold starts per variant and runtime in each round (each one a sample).
const COLD_STARTS_PER_ROUND = 3
// One sample of sequential calls (or crypto operations) lasts this long, and counts at least
// MIN_CALLS: time-boxed rather than a fixed count, because the rates differ 50-fold between
// variants and runtimes and the whole module must stay within its time budget.
const SAMPLE_MS = 400
const MIN_CALLS = 100
const WARMUP_MS = 600
// Bounds: one child's answer, and the stub's whole life.
const CHILD_LIMIT_MS = 60_000
const STUB_LIMIT_MS = 10 * 60_000

const REGION = 'us-east-1'
const CREDENTIALS = {
  accessKeyId: 'AKIDBENCHEXAMPLE0000',
  secretAccessKey: 'bench/secret/access/key/EXAMPLE00000000000',
}
const SECRET_ID = 'bench/app/db'
const SECRET = '{"username":"bench","password":"correct horse battery staple"}'
const CONTENT_TYPE = 'application/x-amz-json-1.1'
// The GetSecretValue answer, as Secrets Manager sends it.
const BODY = JSON.stringify({
  ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/app/db-AbCdEf',
  Name: SECRET_ID,
  VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
  SecretString: SECRET,
  VersionStages: ['AWSCURRENT'],
  CreatedDate: 1_700_000_000.123,
})
const RESPONSE_HEADERS = {
  'content-type': CONTENT_TYPE,
  'x-amzn-requestid': '00000000-0000-4000-8000-000000000000',
}
// Where the canned variants sign for: the real endpoint, which is never contacted.
const AWS_URL = `https://secretsmanager.${REGION}.amazonaws.com/`

/** @param {{ rounds: number, root: string }} options */
export async function run({ rounds, root }) {
  ensureBuilt(root)
  const out = join(root, 'bench/.out/5-runtimes')
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  // A copy of dist/ (dist/client imports chunks from dist/_chunks), so that a rebuild during the
  // run (rm -rf dist) cannot break it.
  cpSync(join(root, 'dist'), join(out, 'dist'), { recursive: true })
  const stub = await startStub()
  const children = []
  try {
    // The client's SHA-256 and HMAC, which dist/ does not export, for the crypto figures.
    await build({
      stdin: {
        contents: `export * from './src/client/sha256.ts'\nexport { hexSha256 } from './src/client/sigv4.ts'\n`,
        resolveDir: root,
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      outfile: join(out, 'own-sha256.mjs'),
      logLevel: 'silent',
    })
    const scripts = writeScripts(out, stub.url)
    const runtimes = runtimesOf(root)
    const rows = []
    rows.push(...(await coldStarts(runtimes, scripts, rounds)))
    rows.push(...(await sustained(runtimes, scripts, rounds, children)))
    rows.push(...(await cryptoCosts(runtimes, scripts, rounds, children)))
    return rows
  } finally {
    for (const child of children) child.stop()
    await stub.close()
  }
}

// dist/ from `npm run build`, rebuilt when a src/client file is newer than its output.
function ensureBuilt(root) {
  const entry = join(root, 'dist/client/index.js')
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0
  const src = join(root, 'src/client')
  const stale = readdirSync(src).some((file) => statSync(join(src, file)).mtimeMs > built)
  if (stale) execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
}

function runtimesOf(root) {
  return [
    { name: 'Node', command: process.execPath, args: (script) => [script], env: {} },
    {
      name: 'Deno',
      command: join(root, 'node_modules/.bin/deno'),
      args: (script) => [
        'run',
        '--allow-net=127.0.0.1',
        '--allow-env',
        '--allow-read',
        // The SDK reads os.release() for its user agent.
        '--allow-sys=osRelease',
        '--quiet',
        script,
      ],
      env: { DENO_DIR: join(root, '.deno-dir'), DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' },
    },
    {
      name: 'Bun',
      command: join(root, 'node_modules/.bin/bun'),
      args: (script) => [script],
      env: { DO_NOT_TRACK: '1' },
    },
  ]
}

// A Node http server on 127.0.0.1 answering every POST with the fixed GetSecretValue body.
async function startStub() {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      response.writeHead(200, { ...RESPONSE_HEADERS, 'content-length': Buffer.byteLength(BODY) })
      response.end(BODY)
    })
  })
  server.keepAliveTimeout = 30_000
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const limit = setTimeout(() => server.close(), STUB_LIMIT_MS)
  limit.unref()
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () =>
      new Promise((resolve) => {
        clearTimeout(limit)
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

// --- the scripts each runtime runs ----------------------------------------------------------

function writeScripts(out, stubUrl) {
  const ours = pathToFileURL(join(out, 'dist/client/index.js')).href
  const constants = `const STUB = ${JSON.stringify(stubUrl)}
const REGION = ${JSON.stringify(REGION)}
const CREDENTIALS = ${JSON.stringify(CREDENTIALS)}
const SECRET_ID = ${JSON.stringify(SECRET_ID)}
`
  const init = `{
  method: 'POST',
  headers: { 'content-type': ${JSON.stringify(CONTENT_TYPE)}, 'x-amz-target': 'secretsmanager.GetSecretValue' },
  body: JSON.stringify({ SecretId: SECRET_ID }),
}`
  // Cold start: import, read one secret from the stub, print it, exit. Each also prints, from
  // inside, when its first line ran (ms since the process started), how long the import took
  // and how long the first call took, to say where a difference comes from.
  const timed = (imports, call) => `const t0 = performance.now()
const { ${imports[0]} } = await import(${JSON.stringify(imports[1])})
const t1 = performance.now()
${constants}
${call}
const t2 = performance.now()
console.log(JSON.stringify({ bootMs: t0, importMs: t1 - t0, callMs: t2 - t1 }))
`
  const cold = {
    empty: `console.log(${JSON.stringify(SECRET)})
console.log(JSON.stringify({ bootMs: performance.now(), importMs: 0, callMs: 0 }))
`,
    aws4fetch: timed(
      ['AwsClient', 'aws4fetch'],
      `const aws = new AwsClient({ ...CREDENTIALS, service: 'secretsmanager', region: REGION, retries: 0 })
const response = await aws.fetch(STUB, ${init})
console.log((await response.json()).SecretString)`
    ),
    ours: timed(
      ['SecretsManagerClient', ours],
      `const sm = new SecretsManagerClient({ region: REGION, credentials: CREDENTIALS, endpoint: STUB })
console.log(await sm.getSecretString(SECRET_ID))`
    ),
    SDK: timed(
      ['GetSecretValueCommand, SecretsManagerClient', '@aws-sdk/client-secrets-manager'],
      `const sm = new SecretsManagerClient({ region: REGION, credentials: CREDENTIALS, endpoint: STUB })
console.log((await sm.send(new GetSecretValueCommand({ SecretId: SECRET_ID }))).SecretString)`
    ),
  }
  // Sustained: a long-lived process that answers "<mode> <ms> [secret]" lines with the number of
  // sequential calls made in at least that many milliseconds (and at least MIN_CALLS).
  const serve = `import process from 'node:process'
import { createInterface } from 'node:readline'
${constants}
const SECRET = ${JSON.stringify(SECRET)}
const BODY = ${JSON.stringify(BODY)}
const BODY_BYTES = new TextEncoder().encode(BODY)
const RESPONSE_HEADERS = ${JSON.stringify(RESPONSE_HEADERS)}
const AWS_URL = ${JSON.stringify(AWS_URL)}
const init = () => (${init})
// A canned fetch: no network, a fresh Response over the prebuilt body (a body reads only once).
const cannedFetch = async () => new Response(BODY, { status: 200, headers: RESPONSE_HEADERS })

function serve(calls) {
  const lines = createInterface({ input: process.stdin })
  let queue = Promise.resolve()
  lines.on('line', (line) => {
    queue = queue.then(() => answer(line))
  })
  lines.on('close', () => queue.then(() => process.exit(0)))
  async function answer(line) {
    const [mode, budget, expected] = line.split(' ')
    try {
      const call = calls[mode]
      if (call === undefined) throw new Error('no mode ' + mode)
      const limitMs = Number(budget)
      const start = performance.now()
      const first = await call()
      let done = 1
      let ms = 0
      do {
        for (let i = 0; i < 10; i++) await call()
        done += 10
        ms = performance.now() - start
      } while (ms < limitMs || done < ${MIN_CALLS})
      if (expected === 'secret' && first !== SECRET) throw new Error('wrong answer: ' + String(first).slice(0, 40))
      process.stdout.write(JSON.stringify({ calls: done, ms }) + '\\n')
    } catch (error) {
      process.stdout.write(JSON.stringify({ error: String(error?.stack ?? error).slice(0, 300) }) + '\\n')
    }
  }
}
`
  const sustained = {
    'unsigned fetch': `${serve}
serve({
  stub: async () => (await (await fetch(STUB, init())).json()).SecretString,
  canned: async () => (await (await cannedFetch(AWS_URL, init())).json()).SecretString,
})
`,
    aws4fetch: `import { AwsClient } from 'aws4fetch'
${serve}
const aws = new AwsClient({ ...CREDENTIALS, service: 'secretsmanager', region: REGION, retries: 0 })
serve({
  stub: async () => (await (await aws.fetch(STUB, init())).json()).SecretString,
  // Sign only, then the canned fetch: what a hand-written call does without the network.
  canned: async () => (await (await cannedFetch(await aws.sign(AWS_URL, init()))).json()).SecretString,
})
`,
    ours: `import { SecretsManagerClient } from ${JSON.stringify(ours)}
${serve}
const stub = new SecretsManagerClient({ region: REGION, credentials: CREDENTIALS, endpoint: STUB })
const canned = new SecretsManagerClient({ region: REGION, credentials: CREDENTIALS, fetch: cannedFetch })
serve({
  stub: async () => (await stub.getSecretValue({ SecretId: SECRET_ID })).SecretString,
  canned: async () => (await canned.getSecretValue({ SecretId: SECRET_ID })).SecretString,
})
`,
    SDK: `import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
${serve}
const stub = new SecretsManagerClient({ region: REGION, credentials: CREDENTIALS, endpoint: STUB })
// The SDK's seam for a canned answer: a request handler returning an HttpResponse-shaped object
// (a fresh body each time: the SDK marks the bytes it collects).
const canned = new SecretsManagerClient({
  region: REGION,
  credentials: CREDENTIALS,
  requestHandler: {
    handle: async () => ({
      response: { statusCode: 200, headers: { ...RESPONSE_HEADERS }, body: BODY_BYTES.slice() },
    }),
  },
})
serve({
  stub: async () => (await stub.send(new GetSecretValueCommand({ SecretId: SECRET_ID }))).SecretString,
  canned: async () => (await canned.send(new GetSecretValueCommand({ SecretId: SECRET_ID }))).SecretString,
})
`,
    // The signing crypto of one call, as each library does it with the signing key cached: the
    // SDK with node:crypto (one HMAC, two SHA-256), aws4fetch with WebCrypto (importKey, sign,
    // two digests), WebCrypto with the HMAC CryptoKey kept between calls, and ours (JavaScript,
    // synchronous, the key's HMAC pads hashed once).
    crypto: `import { createHash, createHmac } from 'node:crypto'
import { hexSha256, hmacKey, hmacSha256 } from ${JSON.stringify(pathToFileURL(join(out, 'own-sha256.mjs')).href)}
${serve}
const encoder = new TextEncoder()
const key = crypto.getRandomValues(new Uint8Array(32))
const HMAC = { name: 'HMAC', hash: { name: 'SHA-256' } }
const keptKey = await crypto.subtle.importKey('raw', key, HMAC, false, ['sign'])
const body = JSON.stringify({ SecretId: SECRET_ID })
const canonical = 'POST\\n/\\n\\ncontent-type:${CONTENT_TYPE}\\nhost:secretsmanager.us-east-1.amazonaws.com\\nx-amz-date:20261202T000000Z\\nx-amz-target:secretsmanager.GetSecretValue\\n\\ncontent-type;host;x-amz-date;x-amz-target\\n' + '0'.repeat(64)
const stringToSign = 'AWS4-HMAC-SHA256\\n20261202T000000Z\\n20261202/us-east-1/secretsmanager/aws4_request\\n' + '0'.repeat(64)
const webImportSign = async () => crypto.subtle.sign('HMAC', await crypto.subtle.importKey('raw', key, HMAC, false, ['sign']), encoder.encode(stringToSign))
const webDigest = (text) => crypto.subtle.digest('SHA-256', encoder.encode(text))
const ownKey = hmacKey(key)
serve({
  'own-call': async () => {
    hexSha256(body)
    hexSha256(canonical)
    return hmacSha256(ownKey, encoder.encode(stringToSign))
  },
  'node-call': async () => {
    createHash('sha256').update(body).digest('hex')
    createHash('sha256').update(canonical).digest('hex')
    return createHmac('sha256', key).update(stringToSign).digest('hex')
  },
  'web-call': async () => {
    await webDigest(body)
    await webDigest(canonical)
    return webImportSign()
  },
  'web-kept-call': async () => {
    await webDigest(body)
    await webDigest(canonical)
    return crypto.subtle.sign('HMAC', keptKey, encoder.encode(stringToSign))
  },
  'node-hmac': async () => createHmac('sha256', key).update(stringToSign).digest(),
  'web-import': async () => crypto.subtle.importKey('raw', key, HMAC, false, ['sign']),
  'web-sign': async () => crypto.subtle.sign('HMAC', keptKey, encoder.encode(stringToSign)),
  'node-sha': async () => createHash('sha256').update(canonical).digest(),
  'web-sha': async () => webDigest(canonical),
})
`,
  }
  const write = (kind, name, text) => {
    const file = join(out, `${kind}-${name.replace(/\W+/g, '-')}.mjs`)
    writeFileSync(file, text)
    return file
  }
  return {
    cold: Object.fromEntries(
      Object.entries(cold).map(([name, text]) => [name, write('cold', name, text)])
    ),
    sustained: Object.fromEntries(
      Object.entries(sustained).map(([name, text]) => [name, write('serve', name, text)])
    ),
  }
}

// --- 1. cold start ---------------------------------------------------------------------------

// Spawn → the secret on stdout (and → exit, which must follow within the limit).
function coldStart(runtime, script) {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(runtime.command, runtime.args(script), {
      env: { ...process.env, ...runtime.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    let printedMs
    let stdout = ''
    let stderr = ''
    const limit = setTimeout(() => {
      killGroup(child)
      reject(new Error(`${runtime.name} ${script}: no exit within ${CHILD_LIMIT_MS} ms`))
    }, CHILD_LIMIT_MS)
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (printedMs === undefined && stdout.includes(SECRET)) printedMs = performance.now() - start
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(limit)
      const exitMs = performance.now() - start
      if (code !== 0 || printedMs === undefined) {
        reject(new Error(`${runtime.name} ${script}: exit ${code}: ${stderr.slice(0, 200)}`))
      } else {
        const inside = JSON.parse(stdout.trim().split('\n').at(-1))
        resolve({ printedMs, exitMs, ...inside })
      }
    })
  })
}

async function coldStarts(runtimes, scripts, rounds) {
  const variants = {}
  const details = {}
  for (const runtime of runtimes) {
    for (const [name, script] of Object.entries(scripts.cold)) {
      const key = `${runtime.name}|${name}`
      details[key] = []
      variants[key] = async () => {
        const start = await coldStart(runtime, script)
        details[key].push(start)
        return start.printedMs
      }
    }
  }
  // One unrecorded start of each first: file caches warm, Deno's module analysis cached.
  for (const variant of Object.values(variants)) await variant()
  for (const list of Object.values(details)) list.length = 0
  const samples = await interleave(variants, rounds * COLD_STARTS_PER_ROUND)
  const rows = []
  for (const runtime of runtimes) {
    const mine = pick(samples, `${runtime.name}|`)
    const note = (name) => {
      const list = details[`${runtime.name}|${name}`]
      const median = (field) => stats(list.map((start) => start[field])).value.toFixed(1)
      const inside =
        name === 'empty'
          ? `first line at ${median('bootMs')} ms`
          : `inside: first line at ${median('bootMs')}, import ${median('importMs')}, first call ${median('callMs')} ms`
      return `${name === 'empty' ? 'print and exit; ' : ''}spawn → secret printed; exit at ${median('exitMs')} ms; ${inside}`
    }
    rows.push(
      ...rowsFrom(`Runtimes: cold start, ${runtime.name}`, mine, {
        unit: 'ms',
        floor: 'aws4fetch',
        goals: { ours: ['≤ 1.1× aws4fetch', (ratio) => ratio <= 1.1] },
        notes: Object.fromEntries(Object.keys(mine).map((name) => [name, note(name)])),
      })
    )
  }
  return rows
}

// --- 2. sustained calls per second ------------------------------------------------------------

// A long-lived child running one variant's script; `ask` sends one line and awaits one answer.
function startChild(runtime, script) {
  const child = spawn(runtime.command, runtime.args(script), {
    env: { ...process.env, ...runtime.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-2000)
  })
  const lines = createInterface({ input: child.stdout })
  const waiting = []
  lines.on('line', (line) => waiting.shift()?.resolve(line))
  child.on('exit', (code) => {
    for (const wait of waiting.splice(0)) {
      wait.reject(new Error(`${runtime.name} ${script} exited (${code}): ${stderr.slice(0, 300)}`))
    }
  })
  return {
    ask: (line) =>
      new Promise((resolve, reject) => {
        const limit = setTimeout(() => {
          killGroup(child)
          reject(new Error(`${runtime.name} ${script}: no answer within ${CHILD_LIMIT_MS} ms`))
        }, CHILD_LIMIT_MS)
        waiting.push({
          resolve: (answer) => {
            clearTimeout(limit)
            const parsed = JSON.parse(answer)
            if (parsed.error) reject(new Error(`${runtime.name} ${line}: ${parsed.error}`))
            else resolve(parsed)
          },
          reject: (error) => {
            clearTimeout(limit)
            reject(error)
          },
        })
        child.stdin.write(`${line}\n`)
      }),
    stop: () => {
      child.stdin.end()
      killGroup(child)
    },
  }
}

async function sustained(runtimes, scripts, rounds, children) {
  const names = ['unsigned fetch', 'aws4fetch', 'ours', 'SDK']
  const modes = ['stub', 'canned']
  const variants = {}
  for (const runtime of runtimes) {
    for (const name of names) {
      const child = startChild(runtime, scripts.sustained[name])
      children.push(child)
      // Warm up (JIT, connections) before any sample.
      for (const mode of modes) {
        await child.ask(`${mode} ${WARMUP_MS} secret`)
        variants[`${runtime.name}|${mode}|${name}`] = async () => {
          const { calls, ms } = await child.ask(`${mode} ${SAMPLE_MS} secret`)
          return (calls * 1000) / ms
        }
      }
    }
  }
  const samples = await interleave(variants, rounds)
  for (const child of children.splice(0)) child.stop()
  const rows = []
  for (const runtime of runtimes) {
    for (const mode of modes) {
      const mine = pick(samples, `${runtime.name}|${mode}|`)
      rows.push(
        ...rowsFrom(
          `Runtimes: ${mode === 'stub' ? 'signed calls against the stub' : 'calls with a canned fetch'}, ${runtime.name}`,
          mine,
          {
            unit: 'calls/s',
            floor: 'SDK',
            goals: { ours: ['≥ 1× SDK', (ratio) => ratio >= 1] },
            notes: {
              'unsigned fetch':
                mode === 'stub'
                  ? 'context: the same POST unsigned'
                  : 'context: new Response + json(), no signing',
              aws4fetch: mode === 'stub' ? 'aws.fetch, by hand' : 'aws.sign + canned fetch',
              SDK: mode === 'stub' ? 'node:http handler' : 'canned requestHandler',
            },
          }
        )
      )
    }
  }
  return rows
}

// --- 2b. what a signature's crypto costs per call -------------------------------------------

async function cryptoCosts(runtimes, scripts, rounds, children) {
  const modes = {
    'node-call': 'node:crypto, as the SDK: HMAC + 2 SHA-256',
    'web-call': 'WebCrypto, as aws4fetch: importKey + HMAC + 2 digests',
    'web-kept-call': 'WebCrypto with the HMAC key kept: HMAC + 2 digests',
    'own-call': 'ours (src/client/sha256.ts, JavaScript): HMAC + 2 SHA-256',
  }
  const detail = {
    'node-hmac': 'node:crypto createHmac',
    'web-import': 'WebCrypto importKey (HMAC)',
    'web-sign': 'WebCrypto sign (HMAC, key kept)',
    'node-sha': 'node:crypto createHash SHA-256',
    'web-sha': 'WebCrypto digest SHA-256',
  }
  const variants = {}
  for (const runtime of runtimes) {
    const child = startChild(runtime, scripts.sustained.crypto)
    children.push(child)
    const own = runtime.name === 'Node' ? { ...modes, ...detail } : modes
    for (const [mode, label] of Object.entries(own)) {
      await child.ask(`${mode} ${WARMUP_MS / 3}`)
      variants[`${runtime.name}|${label}`] = async () => {
        const { calls, ms } = await child.ask(`${mode} ${SAMPLE_MS / 2}`)
        return (ms * 1000) / calls
      }
    }
  }
  const samples = await interleave(variants, rounds)
  const rows = []
  for (const runtime of runtimes) {
    const mine = pick(samples, `${runtime.name}|`)
    const calls = Object.fromEntries(Object.values(modes).map((label) => [label, mine[label]]))
    rows.push(
      ...rowsFrom(`Runtimes: SigV4 crypto per call, ${runtime.name}`, calls, {
        unit: 'µs',
        floor: modes['node-call'],
      })
    )
    if (runtime.name === 'Node') {
      const parts = Object.fromEntries(Object.values(detail).map((label) => [label, mine[label]]))
      const { [detail['node-sha']]: sha, [detail['web-sha']]: webSha, ...hmac } = parts
      rows.push(
        ...rowsFrom('Runtimes: HMAC-SHA256 pieces, Node', hmac, {
          unit: 'µs',
          floor: detail['node-hmac'],
        }),
        ...rowsFrom(
          'Runtimes: SHA-256 pieces, Node',
          { [detail['node-sha']]: sha, [detail['web-sha']]: webSha },
          { unit: 'µs', floor: detail['node-sha'] }
        )
      )
    }
  }
  return rows
}

// --- helpers ----------------------------------------------------------------------------------

// The samples whose key starts with `prefix`, keyed by the rest.
function pick(samples, prefix) {
  return Object.fromEntries(
    Object.entries(samples)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, values]) => [key.slice(prefix.length), values])
  )
}

function killGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}
