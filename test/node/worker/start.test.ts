// `npm start` as a user runs it (its own port and a temporary state directory), and the README's
// curl walkthrough run verbatim against it, twice, then across a restart on the same state.
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { childEnv, REPO_ROOT, run } from '../../support/child-process.js'
import { type DevServer, freePort, startDevServer } from '../../support/dev-server.js'

const DEV_TOKEN = 'esk_dev_edge_secrets_local_only_not_a_secret'
const README_HOST = '127.0.0.1:8787'
const START_TIMEOUT_MS = 60_000
const STEP_TIMEOUT_MS = 30_000

interface Walkthrough {
  /** The lines before the first `# comment` (the TOKEN assignment). */
  preamble: string
  steps: { title: string; script: string }[]
}

/**
 * The ```sh block right under `### Walkthrough` in README.md, with only `127.0.0.1:8787`
 * replaced, split at each `# comment` line into steps whose text is the block's, byte for byte.
 */
async function readWalkthrough(port: number): Promise<Walkthrough> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8')
  const section = readme.split('\n### Walkthrough\n')[1]
  if (section === undefined) throw new Error('README.md has no "### Walkthrough" section')
  const open = section.indexOf('```sh\n')
  const heading = section.search(/^#{1,6} /m)
  if (open < 0 || (heading >= 0 && heading < open)) {
    throw new Error('no ```sh block right under "### Walkthrough"')
  }
  const start = open + '```sh\n'.length
  const block = section.slice(start, section.indexOf('\n```\n', start) + 1)
  if (!block.includes(README_HOST)) throw new Error(`the walkthrough does not use ${README_HOST}`)
  const text = block.replaceAll(README_HOST, `127.0.0.1:${port}`)

  const lines = text.split(/(?<=\n)/)
  const first = lines.findIndex((line) => line.startsWith('# '))
  const preamble = lines.slice(0, first).join('')
  const steps: Walkthrough['steps'] = []
  for (const line of lines.slice(first)) {
    if (line.startsWith('# ')) steps.push({ title: line.slice(2).trim(), script: line })
    else (steps.at(-1) as { script: string }).script += line
  }
  // Nothing dropped, nothing added.
  expect(preamble + steps.map((step) => step.script).join('')).toBe(text)
  return { preamble, steps }
}

type Json = Record<string, unknown>

/** Runs each step as `bash -euo pipefail` (preamble first, for TOKEN) and checks its answer. */
async function runWalkthrough(port: number): Promise<void> {
  const { preamble, steps } = await readWalkthrough(port)
  const expected = [
    /^Create a secret/,
    /^Read it/,
    /^Put a new version/,
    /^Read the previous version/,
    /^A random password/,
    /^Delete the secret/,
  ]
  expect(steps.map((step) => step.title)).toHaveLength(expected.length)
  const outputs: Json[] = []
  for (const [i, step] of steps.entries()) {
    expect(step.title).toMatch(expected[i] as RegExp)
    const result = await run('bash', ['-euo', 'pipefail', '-c', preamble + step.script], {
      cwd: tmpdir(),
      timeoutMs: STEP_TIMEOUT_MS,
      env: childEnv(),
    })
    expect(result.code, `step "${step.title}" failed: ${result.stderr}`).toBe(0)
    expect(result.stderr, `step "${step.title}"`).toBe('')
    outputs.push(JSON.parse(result.stdout) as Json)
  }
  const [created, read, put, previous, random, deleted] = outputs as [
    Json,
    Json,
    Json,
    Json,
    Json,
    Json,
  ]

  expect(created).toMatchObject({ Name: 'demo/app/db', VersionId: expect.any(String) })
  expect(created.ARN).toMatch(
    /^arn:aws:secretsmanager:us-east-1:123456789012:secret:demo\/app\/db-/
  )

  expect(read).toMatchObject({ Name: 'demo/app/db', VersionId: created.VersionId })
  expect(read.VersionStages).toContain('AWSCURRENT')
  expect(JSON.parse(read.SecretString as string)).toEqual({ user: 'app', password: 'first' })

  expect(put).toMatchObject({ Name: 'demo/app/db', VersionId: expect.any(String) })
  expect(put.VersionId).not.toBe(created.VersionId)

  expect(previous).toMatchObject({ Name: 'demo/app/db', VersionId: created.VersionId })
  expect(previous.VersionStages).toContain('AWSPREVIOUS')
  expect(JSON.parse(previous.SecretString as string)).toMatchObject({ password: 'first' })

  expect(random.RandomPassword).toEqual(expect.any(String))
  expect((random.RandomPassword as string).length).toBe(24)

  expect(deleted).toMatchObject({ Name: 'demo/app/db', ARN: created.ARN })
  expect(deleted.DeletionDate).toEqual(expect.any(Number))
}

function call(server: DevServer, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${DEV_TOKEN}`, ...init.headers },
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  })
}

describe('npm start', () => {
  let stateDir: string
  let port: number
  let server: DevServer | undefined

  const start = async () => {
    server = await startDevServer({
      cwd: REPO_ROOT,
      port,
      persistTo: stateDir,
      timeoutMs: START_TIMEOUT_MS,
    })
    return server
  }

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'edge-secrets-start-'))
    port = await freePort()
    await start()
  }, START_TIMEOUT_MS + 30_000)

  afterAll(async () => {
    await server?.stop()
    if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true })
  }, 30_000)

  it('prints the development token that the README walkthrough uses', async () => {
    const output = (server as DevServer).output()
    expect(output).toContain(`http://127.0.0.1:${port}`)
    expect(output).toContain(`token:   ${DEV_TOKEN}`)
    const { preamble } = await readWalkthrough(port)
    expect(preamble).toContain(`TOKEN=${DEV_TOKEN}\n`)
  })

  describe('README walkthrough', () => {
    it('passes step by step, run verbatim', async () => {
      await runWalkthrough(port)
    }, 120_000)

    it('passes again against the same running server', async () => {
      await runWalkthrough(port)
      const gone = await call(server as DevServer, '/v1/secrets/demo/app/db')
      expect(gone.status).toBe(404)
    }, 120_000)
  })

  it(
    'keeps secrets across a restart on the same --persist-to',
    async () => {
      const name = `demo/persist/${randomUUID()}`
      const value = JSON.stringify({ kept: randomUUID() })
      const created = await call(server as DevServer, '/v1/secrets', {
        method: 'POST',
        body: JSON.stringify({ Name: name, SecretString: value }),
      })
      expect(created.status).toBe(201)

      await (server as DevServer).stop()
      const restarted = await start()

      const read = await call(restarted, `/v1/secrets/${name}`)
      expect(read.status).toBe(200)
      expect(((await read.json()) as Json).SecretString).toBe(value)
      // From the emulator itself (its EMULATOR_KV state), not only from the cache's KV tier.
      const fresh = await call(restarted, `/v1/secrets/${name}?refresh=true`)
      expect(fresh.status).toBe(200)
      expect(fresh.headers.get('X-Edge-Secrets-Cache')).toBe('upstream')
      expect(((await fresh.json()) as Json).SecretString).toBe(value)

      const deleted = await call(restarted, `/v1/secrets/${name}?force=true`, { method: 'DELETE' })
      expect(deleted.status).toBe(200)
      expect(((await deleted.json()) as Json).DeletionDate).toEqual(expect.any(Number))
      const gone = await call(restarted, `/v1/secrets/${name}`)
      expect(gone.status).toBe(404)
    },
    START_TIMEOUT_MS + 60_000
  )
})
