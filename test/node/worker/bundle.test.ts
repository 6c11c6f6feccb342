// The production bundle, as `wrangler deploy` would upload it (`--dry-run --minify`), holds no
// emulator code and no development grant. The development entry's bundle (wrangler.dev.toml)
// shows that each string looked for does survive minification, so the checks can fail.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { childEnv, REPO_ROOT, run } from '../../support/child-process.js'
import { OFFLINE_ENV } from '../../support/dev-server.js'

const DEV_TOKEN = 'esk_dev_edge_secrets_local_only_not_a_secret'
const DRY_RUN_TIMEOUT_MS = 60_000

// Only the emulator has these: names kept by wrangler's keep_names, and its own error texts.
// (UnknownOperationException is not one: the worker's POST / answers it too.)
const EMULATOR_MARKERS = [
  'createEmulator',
  'EmulatorKvStore',
  'EmulatorMemoryStore',
  'createLock',
  'Unknown operation ',
  'The edge-secrets emulator does not support replication to other Regions.',
  'Password length is too short based on the required types.',
  'Only POST / is supported.',
]

interface Bundle {
  code: string
  /** The source files of the bundle, from its source map. */
  sources: string[]
}

let outDir: string

async function dryRun(config: string, entry: string): Promise<Bundle> {
  const dir = join(outDir, entry)
  const result = await run(
    'npx',
    ['wrangler', 'deploy', '-c', config, '--dry-run', '--outdir', dir, '--minify'],
    { cwd: REPO_ROOT, timeoutMs: DRY_RUN_TIMEOUT_MS, env: childEnv(OFFLINE_ENV) }
  )
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0)
  expect(result.stdout).toContain('--dry-run: exiting now.')
  const code = await readFile(join(dir, `${entry}.js`), 'utf8')
  const map = JSON.parse(await readFile(join(dir, `${entry}.js.map`), 'utf8')) as {
    sources: string[]
  }
  return { code, sources: map.sources }
}

describe('wrangler deploy --dry-run --minify', () => {
  let production: Bundle
  let development: Bundle
  let devGrantHash: string

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'edge-secrets-bundle-'))
    production = await dryRun('wrangler.toml', 'main')
    development = await dryRun('wrangler.dev.toml', 'dev')
    const devGrants = JSON.parse(
      await readFile(join(REPO_ROOT, 'config/grants.dev.json'), 'utf8')
    ) as { name: string; tokenSha256: string[] }[]
    const hash = devGrants.find((grant) => grant.name === 'development')?.tokenSha256[0]
    if (hash === undefined) throw new Error('config/grants.dev.json has no development grant')
    devGrantHash = hash
  }, 2 * DRY_RUN_TIMEOUT_MS)

  afterAll(async () => {
    if (outDir !== undefined) await rm(outDir, { recursive: true, force: true })
  })

  it('builds the production entry, the worker itself', () => {
    expect(production.code).toContain('MissingAuthenticationTokenException')
    expect(production.sources.some((source) => source.endsWith('src/worker/main.ts'))).toBe(true)
    const bytes = Buffer.byteLength(production.code)
    console.log(
      `production bundle: ${(bytes / 1024).toFixed(1)} KiB minified, ${(gzipSync(production.code).length / 1024).toFixed(1)} KiB gzipped`
    )
  })

  it('holds no emulator code, which the development bundle does', () => {
    for (const marker of EMULATOR_MARKERS) {
      expect(development.code, marker).toContain(marker)
      expect(production.code, marker).not.toContain(marker)
    }
    const fromEmulator = (source: string) => source.includes('src/emulator/')
    expect(development.sources.some(fromEmulator)).toBe(true)
    expect(production.sources.filter(fromEmulator)).toEqual([])
  })

  it('holds the SigV4 verifier (src/protocol) that the AWS route shares with the emulator', () => {
    expect(production.sources.some((source) => source.includes('src/protocol/sigv4.ts'))).toBe(true)
  })

  it('holds neither the development grant nor its token', () => {
    expect(development.code).toContain(devGrantHash)
    expect(production.code).not.toContain(devGrantHash)
    expect(production.sources.some((source) => source.endsWith('grants.dev.json'))).toBe(false)
    expect(production.code).not.toContain(DEV_TOKEN)
    expect(development.code).not.toContain(DEV_TOKEN)
    // Nor the development AWS key id; its master key lives in wrangler.dev.toml, never in code.
    expect(development.code).toContain('ESKA01DEVELOPMENTLOCAL')
    expect(production.code).not.toContain('ESKA01DEVELOPMENTLOCAL')
  })
})
