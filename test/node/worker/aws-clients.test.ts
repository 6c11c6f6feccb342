// A second SDK in a second language, and the CLI, through `npm start`'s POST / with
// worker-issued keys: Debian's boto3 (python3-boto3, installed by .ci/run) runs every granted
// operation, and the README's JavaScript SDK, boto3 and AWS CLI blocks run verbatim (only the
// port replaced). Debian's botocore 1.29 predates BatchGetSecretValue, so AWS_DATA_PATH points it
// at the service model in test/fixtures (a copy of shared/aws-model).
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, request as httpRequest, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAccessKey, parseMasterKeys } from '../../../src/worker/keys.js'
import { childEnv, REPO_ROOT, run } from '../../support/child-process.js'
import { type DevServer, freePort, startDevServer } from '../../support/dev-server.js'

const README_HOST = '127.0.0.1:8787'
const PYTHON = '/usr/bin/python3'
const START_TIMEOUT_MS = 60_000
const RUN_TIMEOUT_MS = 120_000
const CLIENT_ENV = {
  AWS_DATA_PATH: join(REPO_ROOT, 'test/fixtures/aws-model'),
  // No user configuration or credentials of this machine leak into the clients.
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
  // Debian's python and aws first, whatever else is on the PATH.
  PATH: `/usr/bin:${process.env.PATH ?? ''}`,
}

let server: DevServer
let lossy: Server
let lossyUrl: string
let state: string
const targets: string[] = []

beforeAll(async () => {
  const toml = await readFile(join(REPO_ROOT, 'wrangler.dev.toml'), 'utf8')
  const master = parseMasterKeys(/^ACCESS_KEY_MASTER = "([^"]*)"$/m.exec(toml)?.[1] ?? '')
  const [key, admin] = [await createAccessKey(master), await createAccessKey(master)]
  const devGrants = JSON.parse(await readFile(join(REPO_ROOT, 'config/grants.dev.json'), 'utf8'))
  const grants = [
    ...devGrants,
    {
      name: 'boto',
      accessKeyIds: [key.accessKeyId],
      actions: ['read', 'write', 'delete', 'list', 'random-password'],
      secrets: ['boto/*'],
    },
    {
      name: 'admin',
      accessKeyIds: [admin.accessKeyId],
      actions: ['read', 'write'],
      secrets: ['boto/*', 'other/*'],
    },
  ]
  state = await mkdtemp(join(tmpdir(), 'edge-secrets-aws-clients-'))
  server = await startDevServer({
    cwd: REPO_ROOT,
    port: await freePort(),
    persistTo: join(state, 'wrangler'),
    timeoutMs: START_TIMEOUT_MS,
    args: ['--var', `GRANTS:${JSON.stringify(grants)}`],
  })
  keys = { key, admin }

  // A proxy that loses the first PutSecretValue answer after the worker has sent it.
  let dropped = false
  lossy = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '')
      targets.push(target)
      const upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          const body: Buffer[] = []
          answer.on('data', (chunk: Buffer) => body.push(chunk))
          answer.on('end', () => {
            if (!dropped && target === 'secretsmanager.PutSecretValue') {
              dropped = true
              req.socket.destroy()
              return
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            res.end(Buffer.concat(body))
          })
        }
      )
      upstream.on('error', () => res.destroy())
      upstream.end(Buffer.concat(chunks))
    })
  })
  const port = await freePort()
  await new Promise<void>((resolve) => lossy.listen(port, '127.0.0.1', resolve))
  lossyUrl = `http://127.0.0.1:${port}`
}, START_TIMEOUT_MS + 30_000)

let keys: Record<'key' | 'admin', { accessKeyId: string; secretAccessKey: string }>

afterAll(async () => {
  await new Promise((resolve) => lossy?.close(resolve))
  await server?.stop()
  if (state !== undefined) await rm(state, { recursive: true, force: true })
}, 30_000)

describe('boto3 through npm start', () => {
  it(
    'runs every granted operation and gets the service errors',
    async () => {
      const args = {
        endpoint: server.url,
        lossy: lossyUrl,
        ...keys,
        prefix: `boto/${Date.now().toString(36)}`,
        other: `other/${Date.now().toString(36)}`,
      }
      const result = await run(
        PYTHON,
        [join(REPO_ROOT, 'test/node/worker/boto3_through_worker.py'), JSON.stringify(args)],
        { cwd: REPO_ROOT, timeoutMs: RUN_TIMEOUT_MS, env: childEnv(CLIENT_ENV) }
      )
      expect(result.code, result.stderr).toBe(0)
      const out = JSON.parse(result.stdout)
      const bytes = [0, 1, 2, 250, 255, 10, 13]
      expect(out).toMatchObject({
        created: `${args.prefix}/db`,
        string: 'boto-s1',
        byArn: 'boto-s1',
        binary: bytes,
        binaryHasString: false,
        description: 'via boto3',
        batchValues: [`${args.prefix}/db`],
        // Sorted by id: boto/… before other/….
        batchErrors: [
          [`${args.prefix}/missing`, 'ResourceNotFoundException'],
          [`${args.other}/db`, 'AccessDeniedException'],
        ],
        batchText: false,
        denied: Array(4).fill({ code: 'AccessDeniedException', status: 400 }),
        unknownKey: { code: 'UnrecognizedClientException', status: 400 },
        wrongSecret: { code: 'InvalidSignatureException', status: 400 },
        retryVersions: 2,
        retryCurrent: ['AWSCURRENT'],
        retryValue: 'v2',
        deleted: { code: 'InvalidRequestException', status: 400 },
        restored: bytes,
        password: 24,
      })
      // Several pages, and not one name outside the grant on any of them.
      expect(out.listPages).toBeGreaterThan(2)
      expect(out.listNames.every((name: string) => name.startsWith('boto/'))).toBe(true)
      for (let i = 0; i < 5; i++) expect(out.listNames).toContain(`${args.prefix}/page/${i}`)
      // The lost answer was retried: the proxy saw PutSecretValue twice.
      expect(targets.filter((t) => t === 'secretsmanager.PutSecretValue')).toHaveLength(2)
      expect(result.stdout).not.toContain('outside-value')
    },
    RUN_TIMEOUT_MS
  )
})

// The ```lang block right under `heading` in README.md, with only the port replaced.
async function readmeBlock(heading: string, lang: string): Promise<string> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8')
  const section = readme.split(`\n${heading}\n`)[1]?.split('\n### ')[0]
  if (section === undefined) throw new Error(`README.md has no "${heading}" section`)
  const start = section.indexOf(`\`\`\`${lang}\n`)
  if (start === -1) throw new Error(`no \`\`\`${lang} block under "${heading}"`)
  const block = section.slice(start + lang.length + 4, section.indexOf('\n```\n', start) + 1)
  if (!block.includes(README_HOST)) throw new Error(`the ${lang} block does not use ${README_HOST}`)
  return block.replaceAll(README_HOST, `127.0.0.1:${server.port}`)
}

describe('README: one secret read by the JavaScript SDK, boto3 and the AWS CLI', () => {
  const heading = '### Any AWS SDK or the CLI'
  it(
    'the AWS CLI creates it and reads it back',
    async () => {
      const result = await run(
        'bash',
        ['-euo', 'pipefail', '-c', await readmeBlock(heading, 'sh')],
        {
          cwd: REPO_ROOT,
          timeoutMs: RUN_TIMEOUT_MS,
          env: childEnv(CLIENT_ENV),
        }
      )
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout.trim().split('\n').at(-1)).toBe('{"user":"app","password":"hunter2"}')
    },
    RUN_TIMEOUT_MS
  )

  it(
    'the JavaScript SDK reads it',
    async () => {
      const result = await run(
        process.execPath,
        ['--input-type=module', '-e', await readmeBlock(heading, 'js')],
        { cwd: REPO_ROOT, timeoutMs: RUN_TIMEOUT_MS, env: childEnv(CLIENT_ENV) }
      )
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout.trim()).toBe('{"user":"app","password":"hunter2"}')
    },
    RUN_TIMEOUT_MS
  )

  it(
    'boto3 reads it',
    async () => {
      const result = await run(PYTHON, ['-c', await readmeBlock(heading, 'python')], {
        cwd: REPO_ROOT,
        timeoutMs: RUN_TIMEOUT_MS,
        env: childEnv(CLIENT_ENV),
      })
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout.trim()).toBe('{"user":"app","password":"hunter2"}')
    },
    RUN_TIMEOUT_MS
  )
})
