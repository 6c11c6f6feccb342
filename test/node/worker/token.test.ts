// `npm run token` as a user runs it. Every run happens in a throwaway copy of the repository (its
// `git ls-files`, with node_modules linked): the script rebuilds dist/ first, which would race the
// package test's `npm pack` in the repository itself, and `--add` writes config/grants.dev.json.
import { createHash, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { AwsClient } from 'aws4fetch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Grant } from '../../../src/worker/grants.js'
import {
  createMasterKey,
  deriveSecretAccessKey,
  parseMasterKeys,
} from '../../../src/worker/keys.js'
import { childEnv, REPO_ROOT, type RunResult, run } from '../../support/child-process.js'
import { type DevServer, freePort, OFFLINE_ENV, startDevServer } from '../../support/dev-server.js'

const DEV_TOKEN = 'esk_dev_edge_secrets_local_only_not_a_secret'
const DEV_GRANTS = 'config/grants.dev.json'
const NPM_TIMEOUT_MS = 60_000
const START_TIMEOUT_MS = 60_000

let copy: string
let scratch: string
let server: DevServer | undefined

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'edge-secrets-copy-'))
  scratch = await mkdtemp(join(tmpdir(), 'edge-secrets-token-'))
  const listed = await run('git', ['ls-files', '-z'], { cwd: REPO_ROOT, timeoutMs: 30_000 })
  expect(listed.code, listed.stderr).toBe(0)
  for (const file of listed.stdout.split('\0').filter((name) => name !== '')) {
    // A tracked file deleted in the working tree is not part of the copy.
    if (!existsSync(join(REPO_ROOT, file))) continue
    await mkdir(dirname(join(copy, file)), { recursive: true })
    await copyFile(join(REPO_ROOT, file), join(copy, file))
  }
  await symlink(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir')
}, 60_000)

afterAll(async () => {
  await server?.stop()
  for (const dir of [copy, scratch]) {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  }
}, 30_000)

function token(args: string[]): Promise<RunResult> {
  return run('npm', ['run', 'token', '--', ...args], {
    cwd: copy,
    timeoutMs: NPM_TIMEOUT_MS,
    env: childEnv(),
  })
}

/** The JSON the script prints, after npm's own `> edge-secrets@… token` header. */
// biome-ignore lint/suspicious/noExplicitAny: the --aws output has other members
function printed(result: RunResult): { token: string; grant: Grant } & Record<string, any> {
  expect(result.code, result.stderr).toBe(0)
  const start = result.stdout.search(/^\{$/m)
  expect(start, result.stdout).toBeGreaterThanOrEqual(0)
  return JSON.parse(result.stdout.slice(start))
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe('npm run token', () => {
  it(
    'prints a fresh esk_ token and the grant that holds its SHA-256',
    async () => {
      const out = printed(
        await token(['--name', 'ci', '--allow', 'read,write', '--secrets', 'prod/app/*'])
      )
      expect(Object.keys(out).sort()).toEqual(['grant', 'token'])
      expect(out.token).toMatch(/^esk_[A-Za-z0-9_-]{32,}$/)
      expect(out.grant).toEqual({
        name: 'ci',
        tokenSha256: [sha256(out.token)],
        actions: ['read', 'write'],
        secrets: ['prod/app/*'],
      })
    },
    NPM_TIMEOUT_MS
  )

  it.each([
    {
      what: 'an unknown action',
      args: ['--name', 'ci', '--allow', 'read,fly', '--secrets', 'prod/app/*'],
      message: 'unknown action "fly"',
    },
    {
      what: 'a pattern with * inside',
      args: ['--name', 'ci', '--allow', 'read', '--secrets', 'prod/*/x'],
      message: '"prod/*/x" is not a secret name',
    },
    {
      what: 'no --name',
      args: ['--allow', 'read', '--secrets', 'prod/app/*'],
      message: '--name is required',
    },
  ])(
    'exits non-zero with a message and no token for $what',
    async ({ args, message }) => {
      const result = await token(args)
      expect(result.code).not.toBe(0)
      expect(result.stderr).toContain(message)
      expect(result.stdout).not.toContain('esk_')
    },
    NPM_TIMEOUT_MS
  )

  it(
    'with --aws, prints a worker-issued key pair derived from the master key, and its grant',
    async () => {
      const toml = await readFile(join(REPO_ROOT, 'wrangler.dev.toml'), 'utf8')
      const devMaster = /^ACCESS_KEY_MASTER = "([^"]*)"$/m.exec(toml)?.[1] ?? ''
      const args = ['--aws', '--name', 'tool', '--allow', 'read,list', '--secrets', 'prod/app/*']
      const dev = await token(args)
      expect(dev.stderr).toContain('development master key')
      const out = printed(dev)
      expect(Object.keys(out).sort()).toEqual(['accessKeyId', 'grant', 'secretAccessKey'])
      expect(out.accessKeyId).toMatch(/^ESKA01[A-Z2-7]{16}$/)
      expect(out.grant).toEqual({
        name: 'tool',
        accessKeyIds: [out.accessKeyId],
        actions: ['read', 'list'],
        secrets: ['prod/app/*'],
      })
      expect(out.secretAccessKey).toBe(
        await deriveSecretAccessKey(parseMasterKeys(devMaster), out.accessKeyId)
      )
      expect(JSON.stringify(out.grant)).not.toContain(out.secretAccessKey)

      // Under ACCESS_KEY_MASTER from the environment: its newest version.
      const master = `${createMasterKey(7)},${devMaster}`
      const own = printed(
        await run('npm', ['run', 'token', '--', ...args], {
          cwd: copy,
          timeoutMs: NPM_TIMEOUT_MS,
          env: childEnv({ ACCESS_KEY_MASTER: master }),
        })
      )
      expect(own.accessKeyId).toMatch(/^ESKA07/)
      expect(own.secretAccessKey).toBe(
        await deriveSecretAccessKey(parseMasterKeys(master), own.accessKeyId)
      )

      const fresh = await token(['--new-master', '3'])
      expect(fresh.code).toBe(0)
      expect(fresh.stdout.trim().split('\n').at(-1)).toMatch(/^3:[A-Za-z0-9+/]{43}=$/)
      expect((await token(['--new-master', '100'])).code).not.toBe(0)
    },
    4 * NPM_TIMEOUT_MS
  )

  describe('--add --file', () => {
    it(
      'appends the grant to that grant list, and refuses a name it already has',
      async () => {
        const file = join(scratch, 'grants.json')
        await copyFile(join(copy, DEV_GRANTS), file)
        const before = JSON.parse(await readFile(file, 'utf8')) as Grant[]

        const args = ['--name', 'deploy', '--allow', 'read', '--secrets', 'prod/app/db', '--add']
        const out = printed(await token([...args, '--file', file]))
        const after = JSON.parse(await readFile(file, 'utf8')) as Grant[]
        expect(after).toEqual([...before, out.grant])

        const repeated = await token([...args, '--file', file])
        expect(repeated.code).not.toBe(0)
        expect(repeated.stderr).toContain('already has a grant named "deploy"')
        expect(repeated.stdout).not.toContain('esk_')
        expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(after)
      },
      2 * NPM_TIMEOUT_MS
    )
  })

  describe('--add', () => {
    it(
      'adds the grant to the development grants, whose token a restarted npm start accepts',
      async () => {
        const repoGrants = await readFile(join(REPO_ROOT, DEV_GRANTS), 'utf8')
        const out = printed(
          await token(['--name', 'extra', '--allow', 'read', '--secrets', 'demo/*', '--add'])
        )
        const aws = printed(
          await token([
            '--aws',
            '--name',
            'extra-aws',
            '--allow',
            'read',
            '--secrets',
            'demo/*',
            '--add',
          ])
        )
        const grants = JSON.parse(await readFile(join(copy, DEV_GRANTS), 'utf8')) as Grant[]
        expect(grants.map((grant) => grant.name)).toEqual(['development', 'extra', 'extra-aws'])
        expect(grants[1]).toEqual(out.grant)
        expect(grants[2]).toEqual(aws.grant)
        // The copy's file, never the repository's.
        expect(await readFile(join(REPO_ROOT, DEV_GRANTS), 'utf8')).toBe(repoGrants)

        // wrangler types --check still passes after --add.
        const types = await run(
          'npx',
          ['wrangler', 'types', '--include-runtime=false', '--check'],
          {
            cwd: copy,
            timeoutMs: NPM_TIMEOUT_MS,
            env: childEnv(OFFLINE_ENV),
          }
        )
        expect(types.code, `${types.stdout}\n${types.stderr}`).toBe(0)

        server = await startDevServer({
          cwd: copy,
          port: await freePort(),
          persistTo: join(scratch, 'state'),
          timeoutMs: START_TIMEOUT_MS,
        })
        const call = (path: string, bearer: string, init: RequestInit = {}) =>
          fetch(`${(server as DevServer).url}${path}`, {
            ...init,
            headers: { Authorization: `Bearer ${bearer}` },
            signal: AbortSignal.timeout(30_000),
          })
        const name = `demo/token/${randomUUID()}`
        const value = randomUUID()
        const created = await call('/v1/secrets', DEV_TOKEN, {
          method: 'POST',
          body: JSON.stringify({ Name: name, SecretString: value }),
        })
        expect(created.status).toBe(201)

        const read = await call(`/v1/secrets/${name}`, out.token)
        expect(read.status).toBe(200)
        expect(((await read.json()) as { SecretString?: string }).SecretString).toBe(value)
        // Only what the grant allows: read, not write.
        const write = await call(`/v1/secrets/${name}`, out.token, {
          method: 'PUT',
          body: JSON.stringify({ SecretString: 'changed' }),
        })
        expect(write.status).toBe(403)
        expect(((await write.json()) as { __type?: string }).__type).toBe('AccessDeniedException')

        // The --aws key works on POST /, within its grant.
        const signer = new AwsClient({
          accessKeyId: aws.accessKeyId,
          secretAccessKey: aws.secretAccessKey,
          service: 'secretsmanager',
          region: 'us-east-1',
        })
        const viaAws = (target: string, body: object) =>
          signer.fetch(`${(server as DevServer).url}/`, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-amz-json-1.1',
              'x-amz-target': `secretsmanager.${target}`,
            },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(30_000),
          })
        const awsRead = await viaAws('GetSecretValue', { SecretId: name })
        expect(awsRead.status).toBe(200)
        expect(((await awsRead.json()) as { SecretString?: string }).SecretString).toBe(value)
        const awsWrite = await viaAws('PutSecretValue', { SecretId: name, SecretString: 'x' })
        expect(awsWrite.status).toBe(400)
        expect(((await awsWrite.json()) as { __type?: string }).__type).toBe(
          'AccessDeniedException'
        )

        const deleted = await call(`/v1/secrets/${name}?force=true`, DEV_TOKEN, {
          method: 'DELETE',
        })
        expect(deleted.status).toBe(200)
      },
      2 * NPM_TIMEOUT_MS + START_TIMEOUT_MS
    )
  })
})
