// The MV3 extension (examples/extension) in worker mode, as a user runs it: built by its own
// script in a project that has edge-secrets installed, loaded unpacked in headless Chromium, and
// reading through the development worker that `npm start` runs (bin/start.mjs, with its own
// port, a temporary state folder, a scoped grant in the GRANTS var and the extension's origin in
// CORS_ORIGINS). Direct mode is tested in test/node/runtimes.test.ts.
//
// The extension reaches the worker at http://localhost:<port>: an origin outside its
// host_permissions (which list 127.0.0.1), as a deployed worker would be, so every read is a CORS
// request that only the worker's CORS_ORIGINS lets through.
import { type ChildProcess, spawn } from 'node:child_process'
import { cp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WorkerSettings } from '../../../examples/extension/background.js'
import type { RequestLog } from '../../../src/worker/env.js'
import { createToken, type Grant } from '../../../src/worker/grants.js'
import { childEnv, exited, REPO_ROOT } from '../../support/child-process.js'
import {
  BROWSER_TIMEOUT_MS,
  extensionServiceWorker,
  launchWithExtensions,
  lookUpInPopup,
  requireChromium,
  unpackedExtensionId,
} from '../../support/chromium.js'
import { buildExtension, installedProject } from '../../support/installed-project.js'

const SETUP_TIMEOUT_MS = 60_000
const WORKER_START_TIMEOUT_MS = 40_000
const WORKER_STOP_TIMEOUT_MS = 10_000
const LOG_TIMEOUT_MS = 5_000
const TEST_TIMEOUT_MS = 20_000

// One secret inside the extension's grant, one outside it. The values are examples, never real.
const IN_SCOPE = { name: 'ext/app/key', value: 'in-scope-example-value' }
const OUT_OF_SCOPE = { name: 'other/secret', value: 'out-of-scope-example-value' }
// Inside the grant, and asked for only from the extension origin the worker does not list.
const CORS_ONLY_ID = 'ext/app/asked-from-another-origin'

interface RunningWorker {
  /** It listens on 127.0.0.1 only. */
  port: number
  /** The worker as the extension reaches it: an origin outside its host_permissions. */
  url: string
  /** Everything the worker (wrangler dev) printed so far. */
  output: () => string
  stop: () => Promise<void>
}

let project: string | undefined
let worker: RunningWorker | undefined
let context: BrowserContext | undefined
// The extension, and a second copy of it in another folder, so with another origin that the
// worker's CORS_ORIGINS does not list.
let extensionId = ''
let otherExtensionId = ''
let extensionToken = ''

// Each test fails (never skips) without Chromium: CI installs it, so its absence is a bug.
const running = () => {
  requireChromium()
  if (!context || !worker) throw new Error('the browser or the worker did not start')
  return { context, worker }
}

beforeAll(async () => {
  requireChromium()
  project = await installedProject()
  const extension = join(project, 'browser/extension')
  const otherExtension = join(project, 'browser/other-extension')
  await buildExtension(project, extension)
  await cp(extension, otherExtension, { recursive: true })

  const seed = await createToken()
  const scoped = await createToken()
  extensionToken = scoped.token
  const grants: Grant[] = [
    {
      name: 'seed',
      tokenSha256: [seed.tokenSha256],
      actions: ['write'],
      secrets: [IN_SCOPE.name, OUT_OF_SCOPE.name],
    },
    { name: 'extension', tokenSha256: [scoped.tokenSha256], actions: ['read'], secrets: ['ext/*'] },
  ]

  // Without a `key` in the manifest, an unpacked extension's id comes from its folder's path:
  // the two copies differ, and only the first goes into CORS_ORIGINS.
  ;[extensionId = '', otherExtensionId = ''] = await Promise.all(
    [extension, otherExtension].map(unpackedExtensionId)
  )
  // The browser and the worker start side by side; each is kept as soon as it runs, so that
  // afterAll stops it whichever fails.
  const dir = project
  const started = await Promise.allSettled([
    launchWithExtensions({
      profile: join(dir, 'browser/profile'),
      home: join(dir, 'home'),
      extensions: [extension, otherExtension],
      hosts: ['127.0.0.1', 'localhost'],
    }).then((launched) => {
      context = launched
      launched.setDefaultTimeout(BROWSER_TIMEOUT_MS)
    }),
    startWorker(dir, [
      '--var',
      `GRANTS:${JSON.stringify(grants)}`,
      '--var',
      `CORS_ORIGINS:chrome-extension://${extensionId}`,
    ]).then((running) => {
      worker = running
    }),
  ])
  for (const result of started) if (result.status === 'rejected') throw result.reason
  if (!context || !worker) throw new Error('the browser or the worker did not start')
  // Each copy's service worker runs under the id computed above: Chromium agrees.
  for (const id of [extensionId, otherExtensionId]) await extensionServiceWorker(context, id)

  for (const { name, value } of [IN_SCOPE, OUT_OF_SCOPE]) {
    const response = await fetch(`http://127.0.0.1:${worker.port}/v1/secrets`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${seed.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ Name: name, SecretString: value }),
      signal: AbortSignal.timeout(LOG_TIMEOUT_MS),
    })
    if (response.status !== 201) throw new Error(`seeding ${name}: ${response.status}`)
  }
  // The tests read the log from here on: let the seeding's lines land first.
  await requestLines(worker, 0, '/v1/secrets', 'POST', 2)
}, SETUP_TIMEOUT_MS)

afterAll(async () => {
  await context?.close()
  await worker?.stop()
  if (project) await rm(project, { recursive: true, force: true })
}, SETUP_TIMEOUT_MS)

describe('examples/extension in worker mode', () => {
  it(
    'shows a secret inside its grant, read through the worker with its bearer token',
    async () => {
      const { worker } = running()
      const since = worker.output().length
      const popup = await workerModePopup(extensionId)
      expect(await lookUpInPopup(popup, IN_SCOPE.name)).toBe(IN_SCOPE.value)
      await popup.close()

      // A CORS preflight, then the read, which the worker matched to the token's grant.
      const path = `/v1/secrets/${IN_SCOPE.name}`
      const lines = await requestLines(worker, since, path, 'GET')
      expect(lines.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
        { method: 'OPTIONS', path, status: 204 },
        { method: 'GET', path, status: 200 },
      ])
      expect(lines[1]).toMatchObject({
        grant: 'extension',
        action: 'read',
        secretId: IN_SCOPE.name,
      })
      const output = worker.output().slice(since)
      expect(output).not.toContain(extensionToken)
      expect(output).not.toContain(IN_SCOPE.value)
    },
    TEST_TIMEOUT_MS
  )

  it(
    'shows 403 AccessDeniedException for a secret outside its grant, never its value',
    async () => {
      const { worker } = running()
      const since = worker.output().length
      const popup = await workerModePopup(extensionId)
      expect(await lookUpInPopup(popup, OUT_OF_SCOPE.name)).toBe('403 AccessDeniedException')
      expect(await popup.textContent('body')).not.toContain(OUT_OF_SCOPE.value)
      await popup.close()

      const lines = await requestLines(worker, since, `/v1/secrets/${OUT_OF_SCOPE.name}`, 'GET')
      const read = lines.find((line) => line.method === 'GET')
      expect(read).toMatchObject({
        grant: 'extension',
        secretId: OUT_OF_SCOPE.name,
        status: 403,
        error: 'AccessDeniedException',
      })
      // Refused before any upstream call: nothing was read, so nothing could leak.
      expect(read?.cache).toBeUndefined()
      expect(worker.output().slice(since)).not.toContain(OUT_OF_SCOPE.value)
    },
    TEST_TIMEOUT_MS
  )

  it(
    'is answered 401 without its token, and with a token the worker does not know',
    async () => {
      const { worker } = running()
      const since = worker.output().length
      const unknown = (await createToken()).token
      const popup = await workerModePopup(extensionId, { url: worker.url })
      expect(await lookUpInPopup(popup, IN_SCOPE.name)).toBe(
        '401 MissingAuthenticationTokenException'
      )
      await setWorkerSettings(popup, { url: worker.url, token: unknown })
      expect(await lookUpInPopup(popup, IN_SCOPE.name)).toBe('401 InvalidTokenException')
      expect(await popup.textContent('body')).not.toContain(IN_SCOPE.value)
      await popup.close()

      // Neither request matched a grant.
      const path = `/v1/secrets/${IN_SCOPE.name}`
      const reads = (await requestLines(worker, since, path, 'GET', 2)).filter(
        (line) => line.method === 'GET'
      )
      expect(reads.map(({ grant, status, error }) => ({ grant, status, error }))).toEqual([
        { grant: undefined, status: 401, error: 'MissingAuthenticationTokenException' },
        { grant: undefined, status: 401, error: 'InvalidTokenException' },
      ])
    },
    TEST_TIMEOUT_MS
  )

  it(
    'is refused by CORS from an extension origin that CORS_ORIGINS does not list',
    async () => {
      const { worker } = running()
      const since = worker.output().length
      const popup = await workerModePopup(otherExtensionId)
      expect(await lookUpInPopup(popup, CORS_ONLY_ID)).toBe('NetworkError')
      await popup.close()

      // The preflight got no Access-Control-Allow-Origin, so the browser never sent the read.
      const lines = await requestLines(worker, since, `/v1/secrets/${CORS_ONLY_ID}`, 'OPTIONS')
      expect(lines.map((line) => line.method)).toEqual(['OPTIONS'])
    },
    TEST_TIMEOUT_MS
  )
})

/**
 * Runs the development worker as `npm start -- --port P --persist-to DIR …` does (`npm start` is
 * `node bin/start.mjs`), in its own process group, and waits until `/ping` answers.
 */
async function startWorker(project: string, args: string[]): Promise<RunningWorker> {
  const port = await freePort()
  const env = childEnv({ HOME: join(project, 'home'), NO_COLOR: '1' })
  delete env.FORCE_COLOR
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'bin/start.mjs'),
      '--port',
      String(port),
      '--persist-to',
      join(project, 'worker-state'),
      ...args,
    ],
    { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }
  )
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  const started: RunningWorker = {
    port,
    url: `http://localhost:${port}`,
    output: () => output,
    stop: () => stopGroup(child),
  }
  const deadline = Date.now() + WORKER_START_TIMEOUT_MS
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`npm start exited (${child.exitCode ?? child.signalCode})\n${output}`)
    }
    const pong = await fetch(`http://127.0.0.1:${port}/ping`, {
      signal: AbortSignal.timeout(1_000),
    }).then(
      (response) => response.status,
      () => 0
    )
    if (pong === 200) return started
    if (Date.now() > deadline) {
      await started.stop()
      throw new Error(`npm start did not answer within ${WORKER_START_TIMEOUT_MS} ms\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

// Stops the process group the worker runs in (bin/start.mjs, wrangler, workerd): TERM, then
// KILL for anything still there.
async function stopGroup(child: ChildProcess): Promise<void> {
  const group = child.pid
  if (group === undefined) return
  const signal = (name: NodeJS.Signals | 0) => {
    try {
      process.kill(-group, name)
      return true
    } catch {
      return false // the group is gone
    }
  }
  if (!signal('SIGTERM')) return
  await exited(child, WORKER_STOP_TIMEOUT_MS).catch(() => undefined)
  const deadline = Date.now() + WORKER_STOP_TIMEOUT_MS
  while (signal(0) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  signal('SIGKILL')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port'))
      )
    })
  })
}

/**
 * The worker's JSON log lines for `path` printed after `since`, once there are `count` of them
 * for `method` (the lines reach wrangler's output a little after the responses).
 */
async function requestLines(
  worker: RunningWorker,
  since: number,
  path: string,
  method: string,
  count = 1
): Promise<RequestLog[]> {
  const deadline = Date.now() + LOG_TIMEOUT_MS
  for (;;) {
    const lines = worker
      .output()
      .slice(since)
      .split('\n')
      .filter((line) => line.startsWith('{"requestId"'))
      .map((line) => JSON.parse(line) as RequestLog)
      .filter((line) => line.path === path)
    if (lines.filter((line) => line.method === method).length >= count) return lines
    if (Date.now() > deadline) {
      throw new Error(`no such log line within ${LOG_TIMEOUT_MS} ms: ${JSON.stringify(lines)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

// The popup of extension `id` in worker mode; by default with the worker's URL and the scoped
// token. Its settings go to chrome.storage.local, where the service worker reads them.
async function workerModePopup(
  id: string,
  settings: Partial<WorkerSettings> = { url: running().worker.url, token: extensionToken }
): Promise<Page> {
  const popup = await running().context.newPage()
  await popup.goto(`chrome-extension://${id}/popup.html`)
  await setWorkerSettings(popup, settings)
  await popup.selectOption('#mode', 'worker')
  return popup
}

async function setWorkerSettings(popup: Page, settings: Partial<WorkerSettings>): Promise<void> {
  await popup.evaluate((worker) => chrome.storage.local.set({ worker }), settings)
}
