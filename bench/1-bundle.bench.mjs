// Issue 8, item 1: the bundle size (minified and gzip) of a Worker that reads one secret, written
// four ways, each a tiny entry generated into bench/.out/1-bundle/ and bundled with esbuild as the
// repo bundles for workerd (test/support/workerd-bundle.ts) plus `minify: true`:
//   floor   aws4fetch's AwsClient with a hand-written signed JSON 1.1 POST
//   reader  createSecretReader from src/client (the read path's trimmable entry)
//   class   SecretsManagerClient from src/client
//   SDK     @aws-sdk/client-secrets-manager, SecretsManagerClient + GetSecretValueCommand
// and the full worker (src/worker/main.ts: Hono, client, cache, grants), also through
// `wrangler deploy --dry-run --minify` for the figure users see, and a Worker reading through
// SecretCache with KvStore. Sizes are deterministic, so each is built once, whatever `rounds`.
// KB are 1,000 bytes; gzip is zlib's default level, as wrangler's "Total Upload" uses.
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { rowsFrom, WORKERD_BUILD_OPTIONS } from './lib.mjs'

const SECTION = 'Bundle size'
const SECRET_ID = 'prod/app/db'
// The repo's workerd bundle options (test/support/workerd-bundle.ts), minified.
const WORKERD_OPTIONS = { ...WORKERD_BUILD_OPTIONS, minify: true, metafile: true }
// The SDK resolves its browser runtime (fetch, no node: imports) only through the `browser` map
// in its package.json, which esbuild applies on the browser platform alone (with `platform:
// 'neutral'` the build fails on node:fs, node:http, …). wrangler's dry-run of the same entry
// resolves it so too: 155.6 KiB, gzip 52.2 KiB, with wrangler's name-keeping wrappers.
const SDK_OPTIONS = { ...WORKERD_OPTIONS, platform: 'browser' }

const FLOOR = 'floor: aws4fetch AwsClient + hand-written call'
const READER = 'ours: createSecretReader'
const CLASS = 'ours: SecretsManagerClient'
const SDK = 'SDK: client-secrets-manager'
const WORKER = 'full worker main.ts (esbuild)'
const WRANGLER = 'full worker main.ts (wrangler dry-run)'
const CACHE_READER = 'cache Worker: SecretCache + KvStore + reader'
const CACHE_CLASS = 'cache Worker: SecretCache + KvStore + client'

// The Worker every variant implements: read AWS keys from env, GetSecretValue of one id, answer
// its SecretString. Clients live once per isolate, as a real Worker keeps them.
const entries = (root) => {
  const client = JSON.stringify(join(root, 'src/client/index.ts'))
  const cache = JSON.stringify(join(root, 'src/cache/index.ts'))
  const options = `{
      region: env.AWS_REGION,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    }`
  const worker = (setup, read) => `
export default {
  async fetch(_request: Request, env: Record<string, string>, ctx: { waitUntil(p: Promise<unknown>): void }): Promise<Response> {
    ${setup}
    return new Response(${read})
  },
}`
  return {
    [FLOOR]: `import { AwsClient } from 'aws4fetch'
let aws: AwsClient | undefined
${worker(
  `aws ??= new AwsClient({
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      service: 'secretsmanager',
      region: env.AWS_REGION,
    })
    const response = await aws.fetch(\`https://secretsmanager.\${env.AWS_REGION}.amazonaws.com/\`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.GetSecretValue',
      },
      body: JSON.stringify({ SecretId: '${SECRET_ID}' }),
    })
    if (!response.ok) throw new Error(\`GetSecretValue failed: HTTP \${response.status}\`)
    const { SecretString } = (await response.json()) as { SecretString?: string }`,
  'SecretString'
)}`,
    [READER]: `import { createSecretReader, type SecretReader } from ${client}
let sm: SecretReader | undefined
${worker(
  `sm ??= createSecretReader(${options})
    const { SecretString } = await sm.getSecretValue({ SecretId: '${SECRET_ID}' })`,
  'SecretString'
)}`,
    [CLASS]: `import { SecretsManagerClient } from ${client}
let sm: SecretsManagerClient | undefined
${worker(
  `sm ??= new SecretsManagerClient(${options})
    const { SecretString } = await sm.getSecretValue({ SecretId: '${SECRET_ID}' })`,
  'SecretString'
)}`,
    [SDK]: `import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
let sm: SecretsManagerClient | undefined
${worker(
  `sm ??= new SecretsManagerClient(${options})
    const { SecretString } = await sm.send(new GetSecretValueCommand({ SecretId: '${SECRET_ID}' }))`,
  'SecretString'
)}`,
    [WORKER]: `export { default } from ${JSON.stringify(join(root, 'src/worker/main.ts'))}`,
    [CACHE_READER]: cacheEntry(
      client,
      cache,
      'createSecretReader',
      `createSecretReader(${options})`
    ),
    [CACHE_CLASS]: cacheEntry(
      client,
      cache,
      'SecretsManagerClient',
      `new SecretsManagerClient(${options})`
    ),
  }
  function cacheEntry(client, cache, name, make) {
    return `import { ${name} } from ${client}
import { KvStore, SecretCache } from ${cache}
let secrets: SecretCache | undefined
${worker(
  `secrets ??= new SecretCache({
      client: ${make},
      store: new KvStore(env.SECRETS_CACHE as never, { encryptionKeys: [env.CACHE_ENCRYPTION_KEY] }),
    })
    const value = await secrets.getSecretString('${SECRET_ID}', { waitUntil: ctx.waitUntil.bind(ctx) })`,
  'value'
)}`
  }
}

const kb = (bytes) => bytes / 1000

// Builds one entry; returns its sizes and its own-code breakdown (bytes per module in the output).
async function bundle(root, dir, name, source) {
  const file = join(dir, `${slug(name)}.ts`)
  writeFileSync(file, source)
  const result = await build({
    ...(name === SDK ? SDK_OPTIONS : WORKERD_OPTIONS),
    entryPoints: [file],
    absWorkingDir: root,
  })
  const bytes = result.outputFiles[0].contents
  const inputs = Object.values(result.metafile.outputs)[0].inputs
  const modules = Object.entries(inputs)
    .map(([path, { bytesInOutput }]) => [path, bytesInOutput])
    .filter(([, size]) => size > 0)
    .sort((a, b) => b[1] - a[1])
  return { minified: bytes.length, gzip: gzipSync(bytes).length, modules }
}

// `wrangler deploy --dry-run --minify` of the repo's wrangler.toml (main = src/worker/main.ts),
// offline: the size of the script users upload.
async function wranglerBundle(root, dir) {
  const outdir = join(dir, 'wrangler')
  rmSync(outdir, { recursive: true, force: true })
  const env = {
    ...process.env,
    CI: 'true',
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_HIDE_BANNER: 'true',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
    WRANGLER_LOG_PATH: join(dir, 'wrangler-logs'),
  }
  const { stdout } = await promisify(execFile)(
    join(root, 'node_modules/.bin/wrangler'),
    ['deploy', '--dry-run', '--minify', '--outdir', outdir],
    { cwd: root, env, timeout: 120_000, killSignal: 'SIGKILL' }
  )
  const bytes = readFileSync(join(outdir, 'main.js'))
  const upload = /Total Upload: ([^\n]+)/.exec(stdout)?.[1]?.trim()
  return { minified: bytes.length, gzip: gzipSync(bytes).length, upload }
}

function slug(name) {
  return name
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase()
}

/**
 * @param {{ rounds: number, root: string }} options
 * @returns {Promise<import('./lib.mjs').Row[]>}
 */
export async function run({ root }) {
  const dir = join(root, 'bench/.out/1-bundle')
  mkdirSync(dir, { recursive: true })
  const sizes = {}
  const failed = []
  const attempt = async (name, measure) => {
    try {
      sizes[name] = await measure()
    } catch (error) {
      const text = error?.errors?.[0]?.text ?? error?.stderr ?? error?.message ?? error
      failed.push({
        section: SECTION,
        name,
        value: Number.NaN,
        unit: 'KB',
        note: `failed: ${String(text).slice(0, 160)}`,
      })
    }
  }
  for (const [name, source] of Object.entries(entries(root))) {
    await attempt(name, () => bundle(root, dir, name, source))
  }
  await attempt(WRANGLER, () => wranglerBundle(root, dir))
  writeFileSync(
    join(dir, 'modules.json'),
    `${JSON.stringify(
      Object.fromEntries(Object.entries(sizes).map(([name, { modules }]) => [name, modules ?? []])),
      null,
      2
    )}\n`
  )

  const twice = ['≤ 2× floor', (ratio) => ratio <= 2]
  const samples = (kind) =>
    Object.fromEntries(Object.entries(sizes).map(([name, size]) => [name, [kb(size[kind])]]))
  // Where the minified bytes of our two entries go: dependencies (none since the client signs
  // with src/client/sigv4.ts), the signer with its SHA-256, and the rest of our code.
  const split = (name) => {
    const modules = sizes[name]?.modules ?? []
    const sum = (list) => kb(list.reduce((total, [, bytes]) => total + bytes, 0)).toFixed(1)
    const theirs = modules.filter(([path]) => path.includes('node_modules/'))
    const signer = modules.filter(([path]) => /src\/client\/(sigv4|sha256)\.ts$/.test(path))
    const rest = modules.filter((m) => !theirs.includes(m) && !signer.includes(m))
    const deps = theirs.length > 0 ? `dependencies ${sum(theirs)}` : 'no dependencies'
    return `${deps}; SigV4 + SHA-256 ${sum(signer)}, the rest ${sum(rest)}`
  }
  const notes = {
    minified: {
      [READER]: split(READER),
      [CLASS]: split(CLASS),
      [SDK]: 'platform browser, for its browser map',
      [WRANGLER]: `wrangler: ${sizes[WRANGLER]?.upload ?? '?'}`,
    },
    gzip: {},
  }
  const rows = []
  if (sizes[FLOOR] === undefined) return failed
  for (const kind of ['minified', 'gzip']) {
    const named = rowsFrom(SECTION, samples(kind), {
      unit: 'KB',
      floor: FLOOR,
      goals: kind === 'gzip' ? { [READER]: twice, [CLASS]: twice } : {},
      notes: notes[kind],
    })
    rows.push(...named.map((row) => ({ ...row, name: `${kind}: ${row.name}` })))
  }
  // The SDK against ours: at least 8× ours (gzip), i.e. ours ≤ SDK/8.
  const gzip = samples('gzip')
  for (const ours of [READER, CLASS].filter((name) => gzip[name] && gzip[SDK])) {
    const [row] = rowsFrom(
      SECTION,
      { [ours]: gzip[ours], [SDK]: gzip[SDK] },
      { unit: 'KB', floor: ours, goals: { [SDK]: ['≥ 8× ours', (ratio) => ratio >= 8] } }
    ).filter((r) => r.name === SDK)
    rows.push({ ...row, name: `gzip: ${SDK} against ${ours}` })
  }
  return [...rows, ...failed]
}
