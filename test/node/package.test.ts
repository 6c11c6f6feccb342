// The published package as a user gets it: `npm pack` (whose prepack builds dist/), installed
// into an empty Node project, imported through its subpath exports.
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, run } from '../support/child-process.js'

const NPM_TIMEOUT_MS = 110_000
const NODE_TIMEOUT_MS = 30_000

// Run with node inside the project: only the package's own exports and dependencies resolve.
const SMOKE_SCRIPT = `
import { SecretsManagerClient } from 'edge-secrets/client'
import { createEmulator, EmulatorKvStore, EmulatorMemoryStore } from 'edge-secrets/emulator'
import { serve } from 'edge-secrets/node'

const credentials = { accessKeyId: 'AKIDPACKAGEEXAMPLE', secretAccessKey: 'package-secret' }
const client = (options) => new SecretsManagerClient({ region: 'us-east-1', credentials, ...options })
const create = { Name: 'packaged', SecretString: 'it works' }

// The emulator on a port, called over HTTP (a wrong signature would be refused).
const emulator = createEmulator({ credentials: [credentials], store: new EmulatorMemoryStore() })
const served = await serve(emulator.fetch, { host: '127.0.0.1', port: 0 })
const results = {}
try {
  const sm = client({ endpoint: served.url })
  const created = await sm.createSecret(create)
  const read = await sm.getSecretValue({ SecretId: 'packaged' })
  results.served = { create: created.Name, value: read.SecretString }
} finally {
  await served.close()
}

// The KV store over a Map with the KV namespace's interface, called in-process.
const map = new Map()
const kv = {
  get: async (key) => map.get(key) ?? null,
  put: async (key, value) => void map.set(key, value),
  delete: async (key) => void map.delete(key),
  list: async ({ prefix }) => ({
    keys: [...map.keys()].filter((key) => key.startsWith(prefix)).map((name) => ({ name })),
    list_complete: true,
  }),
}
const onKv = createEmulator({ credentials: [credentials], store: new EmulatorKvStore(kv) })
const inProcess = client({ fetch: (url, init) => onKv.fetch(new Request(url, init)) })
const kvCreated = await inProcess.createSecret(create)
const kvRead = await inProcess.getSecretValue({ SecretId: 'packaged' })
results.kv = { create: kvCreated.Name, value: kvRead.SecretString, keys: map.size }
// Names unique across subpaths: edge-secrets/cache has a KvStore and a MemoryStore of its own.
results.exports = Object.keys(await import('edge-secrets/emulator')).sort()
console.log(JSON.stringify(results))
`

// The cache over the client over the emulator, all from the package, with an encrypted KvStore
// on a Map shaped like a KV namespace: a second cache on the same namespace makes no call.
const CACHE_SCRIPT = `
import { KvStore, MemoryStore, SecretCache, withSecretJson } from 'edge-secrets/cache'
import { SecretsManagerClient } from 'edge-secrets/client'
import { createEmulator } from 'edge-secrets/emulator'

const emulator = createEmulator()
let calls = 0
const sm = new SecretsManagerClient({
  region: 'us-east-1',
  endpoint: 'http://emulator.test',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  fetch: (url, init) => (calls++, emulator.fetch(new Request(url, init))),
})
await sm.createSecret({ Name: 'pkg/db', SecretString: JSON.stringify({ password: 'pw' }) })
const map = new Map()
const kv = {
  get: async (key) => map.get(key) ?? null,
  put: async (key, value) => void map.set(key, value),
  delete: async (key) => void map.delete(key),
  list: async ({ prefix }) => ({
    keys: [...map.keys()].filter((key) => key.startsWith(prefix)).map((name) => ({ name })),
    list_complete: true,
  }),
}
const encryptionKeys = [btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))]
const first = new SecretCache({ client: sm, store: new KvStore(kv, { encryptionKeys }) })
const before = calls
const password = await withSecretJson(first, 'pkg/db', { pw: 'password' }, ({ pw }) => pw)()
const second = new SecretCache({ client: sm, store: new KvStore(kv, { encryptionKeys }) })
const again = (await second.getSecretJson('pkg/db')).password
console.log(JSON.stringify({
  password, again, upstreamCalls: calls - before, kvEntries: map.size,
  memoryStore: typeof MemoryStore,
  exports: Object.keys(await import('edge-secrets/cache')).sort(),
}))
`

// The worker from the package, mounted under a sub-path of the user's own Hono app, over the
// emulator: a scoped token reads its secret and is refused another.
const WORKER_SCRIPT = `
import { Hono } from 'hono'
import { createEmulator } from 'edge-secrets/emulator'
import { createSecretsApp, createToken } from 'edge-secrets/worker'

const emulator = createEmulator()
const { token, tokenSha256 } = await createToken()
const app = new Hono()
app.route('/secrets', createSecretsApp({
  grants: [{ name: 'pkg', tokenSha256: [tokenSha256], actions: ['read', 'write'], secrets: ['pkg/*'] }],
  clientOptions: () => ({
    region: 'us-east-1',
    endpoint: 'http://emulator.test',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    fetch: (url, init) => emulator.fetch(new Request(url, init)),
  }),
  log: () => {},
}))
const headers = { authorization: 'Bearer ' + token }
const created = await app.request('/secrets/v1/secrets', {
  method: 'POST', headers, body: JSON.stringify({ Name: 'pkg/db', SecretString: 'from the package' }),
})
const read = await app.request('/secrets/v1/secrets/pkg/db', { headers })
const refused = await app.request('/secrets/v1/secrets/other/db', { headers })
console.log(JSON.stringify({
  created: created.status,
  read: read.status,
  value: (await read.json()).SecretString,
  refused: refused.status,
  noStore: read.headers.get('cache-control'),
}))
`

// Type-checked with the repository's tsc as a strict NodeNext project would.
const TYPES_CHECK = `
import { createEmulator, type Emulator, type EmulatorOptions, EmulatorKvStore, EmulatorMemoryStore } from 'edge-secrets/emulator'

const options: EmulatorOptions = { store: new EmulatorMemoryStore(), accountId: '123456789012' }
const emulator: Emulator = createEmulator(options)
export const response: Promise<Response> = emulator.fetch(new Request('http://127.0.0.1/'))
export const store: EmulatorKvStore = new EmulatorKvStore({
  get: async () => null,
  put: async () => {},
  delete: async () => {},
  list: async () => ({ keys: [], list_complete: true }),
})
// @ts-expect-error the account id is a string, so the declarations are real types, not any
createEmulator({ accountId: 123 })

import { type CacheStore, KvStore, SecretCache, type SecretCacheStats } from 'edge-secrets/cache'
import { SecretsManagerClient } from 'edge-secrets/client'
const cache = new SecretCache({
  client: new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
  store: new KvStore({
    get: async () => null,
    put: async () => {},
    delete: async () => {},
    list: async () => ({ keys: [], list_complete: true }),
  }, { allowPlaintext: true }) satisfies CacheStore,
})
export const value: Promise<string> = cache.getSecretString('x', { VersionStage: 'AWSCURRENT' })
export const stats: SecretCacheStats = cache.stats()
// @ts-expect-error maxEntries is a number
new SecretCache({ client: { getSecretValue: async () => ({}) }, maxEntries: '5' })
`

const TSCONFIG = {
  compilerOptions: {
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    lib: ['es2022', 'dom'],
    types: [],
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    noEmit: true,
  },
  files: ['types-check.ts'],
}

let project: string
let packedFiles: string[]

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'edge-secrets-package-'))
  const packed = await run('npm', ['pack', '--json', '--pack-destination', project], {
    cwd: REPO_ROOT,
    timeoutMs: NPM_TIMEOUT_MS,
  })
  if (packed.code !== 0) throw new Error(`npm pack failed\n${packed.stderr}`)
  const [tarball] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[]
  if (!tarball) throw new Error(`npm pack printed no tarball\n${packed.stdout}`)
  packedFiles = tarball.files.map((file) => file.path)

  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'edge-secrets-consumer', private: true, type: 'module' })
  )
  const installed = await run(
    'npm',
    ['install', join(project, tarball.filename), '--prefer-offline', '--no-audit', '--no-fund'],
    { cwd: project, timeoutMs: NPM_TIMEOUT_MS }
  )
  if (installed.code !== 0) throw new Error(`npm install failed\n${installed.stderr}`)
}, 300_000)

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true })
})

describe('the npm package', () => {
  describe('tarball', () => {
    it('holds the built dist/ and no source or test files', () => {
      expect(packedFiles).toEqual(
        expect.arrayContaining([
          'package.json',
          'README.md',
          'dist/emulator/index.js',
          'dist/emulator/index.d.ts',
          'dist/node/serve.js',
          'dist/node/serve.d.ts',
          'dist/node/emulator-cli.js',
          'dist/cache/index.js',
          'dist/cache/index.d.ts',
          'dist/client/index.js',
          'dist/client/index.d.ts',
          'dist/worker/index.js',
          'dist/worker/index.d.ts',
          'dist/node/token-cli.js',
        ])
      )
      expect(packedFiles.filter((path) => /^(src|test)\//.test(path))).toEqual([])
      // The worker's entries (the bundled grants, the embedded emulator) are not the package's.
      expect(packedFiles.filter((path) => /^dist\/worker\/(main|dev)\./.test(path))).toEqual([])
      expect(packedFiles.filter((path) => path.startsWith('config/'))).toEqual([])
      expect(
        packedFiles.filter((path) => /\.test\.|\.ts$/.test(path) && !path.endsWith('.d.ts'))
      ).toEqual([])
    })
  })

  describe('installed into an empty Node project', () => {
    it('brings only its runtime dependencies', async () => {
      const manifest = JSON.parse(
        await readFile(join(project, 'node_modules/edge-secrets/package.json'), 'utf8')
      ) as { dependencies?: Record<string, string> }
      // None: the client signs with its own SigV4 code (src/client/sigv4.ts).
      expect(manifest.dependencies ?? {}).toEqual({})
      expect(existsSync(join(project, 'node_modules/aws4fetch'))).toBe(false)
      // hono is an optional peer: only the worker needs it, and it is not installed for the client.
      expect(existsSync(join(project, 'node_modules/hono'))).toBe(false)
      expect(existsSync(join(project, 'node_modules/@aws-sdk'))).toBe(false)
    })

    it('imports edge-secrets/emulator and edge-secrets/node and answers signed calls from the packaged client', async () => {
      await writeFile(join(project, 'smoke.mjs'), SMOKE_SCRIPT)
      const result = await run(process.execPath, ['smoke.mjs'], {
        cwd: project,
        timeoutMs: NODE_TIMEOUT_MS,
      })
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout)).toEqual({
        served: { create: 'packaged', value: 'it works' },
        kv: { create: 'packaged', value: 'it works', keys: 1 },
        exports: ['AwsServiceError', 'EmulatorKvStore', 'EmulatorMemoryStore', 'createEmulator'],
      })
    })

    it('ships declarations that type-check edge-secrets/emulator and edge-secrets/cache imports', async () => {
      expect(existsSync(join(project, 'node_modules/edge-secrets/dist/emulator/index.d.ts'))).toBe(
        true
      )
      await writeFile(join(project, 'types-check.ts'), TYPES_CHECK)
      await writeFile(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG))
      const result = await run(
        join(REPO_ROOT, 'node_modules/.bin/tsc'),
        ['-p', join(project, 'tsconfig.json')],
        { cwd: project, timeoutMs: NODE_TIMEOUT_MS }
      )
      expect(result.stdout + result.stderr).toBe('')
      expect(result.code).toBe(0)
    })

    it('installs the edge-secrets-emulator command', async () => {
      const result = await run(
        join(project, 'node_modules/.bin/edge-secrets-emulator'),
        ['--help'],
        { cwd: project, timeoutMs: NODE_TIMEOUT_MS }
      )
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/^Usage: edge-secrets-emulator/)
    })

    it('reads through edge-secrets/cache, sharing an encrypted KV store between caches', async () => {
      await writeFile(join(project, 'cache.mjs'), CACHE_SCRIPT)
      const result = await run(process.execPath, ['cache.mjs'], {
        cwd: project,
        timeoutMs: NODE_TIMEOUT_MS,
      })
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout)).toEqual({
        password: 'pw',
        again: 'pw',
        upstreamCalls: 1,
        kvEntries: 1,
        memoryStore: 'function',
        exports: [
          'KvStore',
          'MemoryStore',
          'SecretCache',
          'cacheKeyString',
          'withSecretJson',
          'withSecretString',
        ],
      })
    })

    it('mounts edge-secrets/worker in a Hono app once hono is installed', async () => {
      const installed = await run(
        'npm',
        ['install', 'hono@4.13.19', '--prefer-offline', '--no-audit', '--no-fund'],
        { cwd: project, timeoutMs: NPM_TIMEOUT_MS }
      )
      expect(installed.code).toBe(0)
      await writeFile(join(project, 'worker.mjs'), WORKER_SCRIPT)
      const result = await run(process.execPath, ['worker.mjs'], {
        cwd: project,
        timeoutMs: NODE_TIMEOUT_MS,
      })
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout)).toEqual({
        created: 201,
        read: 200,
        value: 'from the package',
        refused: 403,
        noStore: 'no-store',
      })
    })

    it('imports edge-secrets/client', async () => {
      const result = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "console.log(Object.keys(await import('edge-secrets/client')).length)",
        ],
        { cwd: project, timeoutMs: NODE_TIMEOUT_MS }
      )
      expect(result.stderr).toBe('')
      expect(Number(result.stdout)).toBeGreaterThan(0)
    })
  })
})
