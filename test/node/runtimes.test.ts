// The README's examples, run as a user runs them: in a project that has edge-secrets installed
// (test/support/installed-project.ts), against the emulator served on 127.0.0.1. Deno and Bun run
// examples/deno-bun.ts, workerd (through Miniflare) runs examples/worker, and headless Chromium
// runs the client on a page of another origin (so every call is a CORS request) and loads the
// MV3 extension in examples/extension (its worker mode: test/node/worker/extension.test.ts).
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as ClientModule from '../../src/client/index.js'
import { createEmulator } from '../../src/emulator/index.js'
import { type ServedHandler, serve } from '../../src/node/serve.js'
import { ok, TEST_CREDENTIALS, token } from '../support/call.js'
import { REPO_ROOT, run } from '../support/child-process.js'
import {
  BROWSER_TIMEOUT_MS,
  CHROMIUM,
  extensionServiceWorker,
  launchWithExtensions,
  lookUpInPopup,
  requireChromium,
} from '../support/chromium.js'
import { buildExtension, installedProject } from '../support/installed-project.js'
import { WORKERD_BUILD_OPTIONS } from '../support/workerd-bundle.js'

const DENO = join(REPO_ROOT, 'node_modules/.bin/deno')
const BUN = join(REPO_ROOT, 'node_modules/.bin/bun')
// Deno's cache stays in the repository (gitignored), so repeated runs reuse it.
const DENO_DIR = join(REPO_ROOT, '.deno-dir')
const SETUP_TIMEOUT_MS = 30_000
const RUN_TIMEOUT_MS = 15_000
// Per test: generous, since other test files run beside this one.
const TEST_TIMEOUT_MS = 20_000

const REGION = 'us-east-1'
const SECRET_ID = 'examples/app'
const SECRET = { username: 'app', password: 'example-password' }
const MISSING_ID = 'examples/missing'

// Every request that reached the emulator, to see the browser's CORS traffic.
const seen: { method: string; origin: string | null }[] = []
const emulator = createEmulator({ credentials: [TEST_CREDENTIALS] })
let endpoint: ServedHandler
let project: string

/** The environment of a script run: only what it needs, with the emulator as its endpoint. */
function scriptEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: join(project, 'home'),
    NO_COLOR: '1',
    DENO_DIR,
    DENO_NO_UPDATE_CHECK: '1',
    DO_NOT_TRACK: '1',
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint.url,
  }
}

beforeAll(async () => {
  endpoint = await serve(
    (request) => {
      seen.push({ method: request.method, origin: request.headers.get('origin') })
      return emulator.fetch(request)
    },
    { host: '127.0.0.1', port: 0 }
  )
  await ok(emulator, 'CreateSecret', {
    Name: SECRET_ID,
    SecretString: JSON.stringify(SECRET),
    ClientRequestToken: token(),
  })
  project = await installedProject()
}, SETUP_TIMEOUT_MS)

afterAll(async () => {
  await endpoint?.close()
  if (!project) return
  await rm(project, { recursive: true, force: true })
  // Deno keeps its transpiled copy of each script under gen/file/<absolute path>.
  await rm(join(DENO_DIR, 'gen/file', project), { recursive: true, force: true })
})

describe('examples/deno-bun.ts', () => {
  // `--cached-only`: Deno fails rather than download anything. edge-secrets comes from the
  // project's node_modules.
  const runtimes = [
    {
      name: 'Deno',
      command: () => [
        DENO,
        'run',
        '--cached-only',
        '--no-prompt',
        '--allow-net=127.0.0.1',
        '--allow-env',
        'examples/deno-bun.ts',
      ],
    },
    { name: 'Bun', command: () => [BUN, '--no-install', 'examples/deno-bun.ts'] },
  ]

  describe.each(runtimes)('on $name', ({ command }) => {
    const runScript = (secretId: string) => {
      const [bin = '', ...args] = command()
      return run(bin, [...args, secretId], {
        cwd: project,
        env: scriptEnv(),
        timeoutMs: RUN_TIMEOUT_MS,
      })
    }

    it(
      'reads the secret with fromEnv() and prints its key names only',
      async () => {
        const result = await runScript(SECRET_ID)
        expect(result.stderr).toBe('')
        expect(result.code).toBe(0)
        expect(JSON.parse(result.stdout)).toEqual({
          secret: SECRET_ID,
          keys: ['password', 'username'],
        })
        expect(result.stdout).not.toContain(SECRET.password)
      },
      TEST_TIMEOUT_MS
    )

    it(
      'exits with 1 and names the error code for a missing secret',
      async () => {
        const result = await runScript(MISSING_ID)
        expect(result.code).toBe(1)
        expect(result.stdout).toBe('')
        expect(result.stderr.trim()).toBe(`${MISSING_ID}: ResourceNotFoundException`)
      },
      TEST_TIMEOUT_MS
    )
  })
})

describe('examples/worker in workerd (Miniflare)', () => {
  let mf: Miniflare | undefined

  beforeAll(async () => {
    // As wrangler would bundle it, resolving edge-secrets from the project.
    const bundle = await build({
      entryPoints: ['examples/worker/index.ts'],
      absWorkingDir: project,
      ...WORKERD_BUILD_OPTIONS,
    })
    const [output] = bundle.outputFiles
    if (!output) throw new Error('esbuild wrote no worker bundle')
    mf = new Miniflare({
      modules: true,
      script: output.text,
      compatibilityDate: '2026-04-26',
      cf: false,
      kvNamespaces: ['SECRETS_CACHE'],
      bindings: {
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint.url,
        CACHE_ENCRYPTION_KEY: btoa(
          String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))
        ),
        SECRET_ID,
      },
    })
    await mf.ready
  }, SETUP_TIMEOUT_MS)

  afterAll(async () => {
    await mf?.dispose()
  })

  it(
    'reads the secret through the cache, once from Secrets Manager, and answers with its key names only',
    async () => {
      if (!mf) throw new Error('Miniflare did not start')
      const before = seen.length
      for (let i = 0; i < 3; i++) {
        const response = await mf.dispatchFetch('http://example.test/')
        const text = await response.text()
        expect(response.status).toBe(200)
        expect(JSON.parse(text)).toEqual({ secret: SECRET_ID, keys: ['password', 'username'] })
        expect(text).not.toContain(SECRET.password)
      }
      expect(seen.slice(before).map((request) => request.method)).toEqual(['POST'])
      // The KV tier holds one entry, whose name and value reveal neither the secret nor its name.
      const kv = await mf.getKVNamespace('SECRETS_CACHE')
      // The first request wrote it after answering (waitUntil): give that write time to land.
      let { keys } = await kv.list()
      for (let i = 0; i < 100 && keys.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        keys = (await kv.list()).keys
      }
      expect(keys).toHaveLength(1)
      const stored = `${keys[0]?.name} ${await kv.get(keys[0]?.name ?? '', 'text')}`
      expect(stored).not.toContain(SECRET_ID)
      expect(stored).not.toContain(SECRET.password)
    },
    TEST_TIMEOUT_MS
  )
})

describe('in headless Chromium', () => {
  let context: BrowserContext | undefined
  let site: ServedHandler | undefined

  // Each test fails (never skips) without Chromium: CI installs it, so its absence is a bug.
  const browser = () => {
    requireChromium()
    if (!context || !site) throw new Error('the browser did not start')
    return { context, site }
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return
    const browserDir = join(project, 'browser')
    // The client as a browser loads it: one ES module bundled from the installed package.
    const bundle = await build({
      stdin: { contents: "export * from 'edge-secrets/client'", resolveDir: project },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    })
    const clientJs = bundle.outputFiles[0]?.text ?? ''
    const page = `<!doctype html><meta charset="utf-8"><title>edge-secrets</title>
<script type="module">import * as client from '/client.js'; globalThis.edgeSecrets = client</script>`
    const files: Record<string, { body: string; type: string }> = {
      '/': { body: page, type: 'text/html' },
      '/client.js': { body: clientJs, type: 'text/javascript' },
    }
    site = await serve(
      async (request) => {
        const file = files[new URL(request.url).pathname]
        if (!file) return new Response('not found', { status: 404 })
        return new Response(file.body, { headers: { 'content-type': file.type } })
      },
      { host: '127.0.0.1', port: 0 }
    )

    // The extension, built by its own build script, as its README says.
    const extension = join(browserDir, 'extension')
    await buildExtension(project, extension)
    context = await launchWithExtensions({
      profile: join(browserDir, 'profile'),
      home: join(project, 'home'),
      extensions: [extension],
    })
    context.setDefaultTimeout(BROWSER_TIMEOUT_MS)
  }, SETUP_TIMEOUT_MS)

  afterAll(async () => {
    await context?.close()
    await site?.close()
  })

  it(
    'runs the client on a page of another origin, through CORS',
    async () => {
      const { context, site } = browser()
      const page = await context.newPage()
      await page.goto(site.url)
      await page.waitForFunction(() => 'edgeSecrets' in globalThis)
      seen.length = 0
      const result = await page.evaluate(
        async ({ endpoint, region, credentials, secretId, missingId }) => {
          const { SecretsManagerClient, isSecretsManagerError } = (
            globalThis as unknown as { edgeSecrets: typeof ClientModule }
          ).edgeSecrets
          const sm = new SecretsManagerClient({ region, endpoint, credentials })
          const json = await sm.getSecretJson(secretId)
          const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
          const written = await sm.writeSecret('examples/browser-binary', bytes)
          const readBack = await sm.getSecretBinary('examples/browser-binary')
          const missing = await sm.getSecretString(missingId).then(
            () => 'found',
            (e: unknown) =>
              isSecretsManagerError(e, 'ResourceNotFoundException') ? e.code : `${e}`
          )
          return { json, created: written.created, readBack: [...readBack], missing }
        },
        {
          endpoint: endpoint.url,
          region: REGION,
          credentials: TEST_CREDENTIALS,
          secretId: SECRET_ID,
          missingId: MISSING_ID,
        }
      )
      expect(result).toEqual({
        json: SECRET,
        created: true,
        readBack: Array.from({ length: 256 }, (_, i) => i),
        missing: 'ResourceNotFoundException',
      })
      // Cross-origin: preflights, then the signed POSTs, all from the page's origin.
      expect(new Set(seen.map((request) => request.origin))).toEqual(new Set([site.url]))
      expect(seen.filter((request) => request.method === 'OPTIONS').length).toBeGreaterThan(0)
      expect(seen.filter((request) => request.method === 'POST').length).toBeGreaterThanOrEqual(5)
      await page.close()
    },
    TEST_TIMEOUT_MS
  )

  it(
    'loads the MV3 extension, whose popup shows the key names from its service worker',
    async () => {
      const { context } = browser()
      const worker = await extensionServiceWorker(context)
      const extensionId = new URL(worker.url()).host
      await worker.evaluate((aws) => chrome.storage.local.set({ aws }), {
        region: REGION,
        endpoint: endpoint.url,
        credentials: TEST_CREDENTIALS,
      })
      const popup = await context.newPage()
      await popup.goto(`chrome-extension://${extensionId}/popup.html`)
      // Direct mode is the popup's default.
      expect(await lookUpInPopup(popup, SECRET_ID)).toBe('password, username')
      expect(await lookUpInPopup(popup, MISSING_ID)).toBe('ResourceNotFoundException')
      await popup.close()
    },
    TEST_TIMEOUT_MS
  )
})
