// The emulator CLI as users run it: built by `npm run build`, started with node, driven over HTTP
// by the official AWS SDK, and stopped with SIGTERM.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { childEnv, exited, REPO_ROOT, run } from '../../support/child-process.js'

// Built into a folder of its own, so this file never races the package test's `npm pack`, whose
// prepack rebuilds dist/.
const OUT_DIR = '.test-build/cli'
const CLI = `${OUT_DIR}/node/emulator-cli.js`
const FIRST_LINE = /^edge-secrets emulator: AWS Secrets Manager at (http:\/\/127\.0\.0\.1:(\d+))$/
const START_TIMEOUT_MS = 15_000
const EXIT_TIMEOUT_MS = 10_000
// Starts per SIGTERM check: the window it looks for is hit about half the time.
const STOP_ATTEMPTS = 10

const children: ChildProcessWithoutNullStreams[] = []
const clients: SecretsManagerClient[] = []
let endpoint: string
let firstLine: string

/** Starts the built CLI and resolves with its first stdout line, once it is listening. */
async function startCli(
  args: string[]
): Promise<{ child: ChildProcessWithoutNullStreams; line: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: childEnv() })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the CLI printed no line within ${START_TIMEOUT_MS} ms\n${stderr}`)),
      START_TIMEOUT_MS
    )
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const end = stdout.indexOf('\n')
      if (end >= 0) {
        clearTimeout(timer)
        resolve(stdout.slice(0, end))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the CLI exited with ${code} before listening\n${stderr}`))
    })
  })
  return { child, line }
}

/** Sends SIGTERM and waits for the CLI to close its server and exit on its own. */
async function stop(child: ChildProcessWithoutNullStreams) {
  child.kill('SIGTERM')
  try {
    return await exited(child, EXIT_TIMEOUT_MS)
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
}

function sdkClient(url: string, credentials = { accessKeyId: 'AKIDANY', secretAccessKey: 'any' }) {
  const created = new SecretsManagerClient({
    endpoint: url,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
  })
  clients.push(created)
  return created
}

const runCli = (args: string[]) =>
  run(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, timeoutMs: START_TIMEOUT_MS })

beforeAll(async () => {
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true')
  const build = await run(
    process.execPath,
    ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', OUT_DIR],
    { cwd: REPO_ROOT, timeoutMs: 90_000 }
  )
  if (build.code !== 0) throw new Error(`tsc failed\n${build.stdout}${build.stderr}`)
  const started = await startCli(['--host', '127.0.0.1', '--port', '0'])
  firstLine = started.line
  endpoint = FIRST_LINE.exec(firstLine)?.[1] ?? ''
}, 180_000)

afterAll(async () => {
  for (const created of clients) created.destroy()
  try {
    for (const child of children) await stop(child)
  } finally {
    vi.unstubAllEnvs()
  }
}, 30_000)

describe('the emulator CLI', () => {
  describe('with --host 127.0.0.1 --port 0', () => {
    it('prints the endpoint with the port it bound on its first line', () => {
      expect(firstLine).toMatch(FIRST_LINE)
      expect(Number(FIRST_LINE.exec(firstLine)?.[2])).toBeGreaterThan(0)
    })

    it('serves the official AWS SDK, which creates and reads a secret', async () => {
      const sdk = sdkClient(endpoint)
      const created = await sdk.send(
        new CreateSecretCommand({ Name: 'cli/first-secret', SecretString: 'from the CLI' })
      )
      expect(created.VersionId).toBeDefined()

      const read = await sdk.send(new GetSecretValueCommand({ SecretId: 'cli/first-secret' }))
      expect(read).toMatchObject({
        ARN: created.ARN,
        SecretString: 'from the CLI',
        VersionStages: ['AWSCURRENT'],
      })
      expect(read.CreatedDate).toBeInstanceOf(Date)
    })
  })

  describe('with --access-key-id and --secret-access-key', () => {
    it('accepts only that key pair', async () => {
      const key = { accessKeyId: 'AKIDCLIEXAMPLE', secretAccessKey: 'cli-secret' }
      const { line } = await startCli([
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--access-key-id',
        key.accessKeyId,
        '--secret-access-key',
        key.secretAccessKey,
      ])
      const url = FIRST_LINE.exec(line)?.[1] ?? ''

      const listed = await sdkClient(url, key).send(new ListSecretsCommand({}))
      expect(listed.SecretList).toEqual([])
      const error = await sdkClient(url)
        .send(new ListSecretsCommand({}))
        .catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(SecretsManagerServiceException)
      expect(error).toMatchObject({ name: 'UnrecognizedClientException' })
    })
  })

  describe('--help', () => {
    it('prints the usage and exits with code 0', async () => {
      const result = await runCli(['--help'])
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/^Usage: edge-secrets-emulator/)
      expect(result.stdout).toContain('--port')
    })
  })

  describe('--port abc', () => {
    it('names the bad option and exits with code 2 without serving', async () => {
      const result = await runCli(['--host', '127.0.0.1', '--port', 'abc'])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain('Invalid --port abc')
      expect(result.stdout).toBe('')
    })
  })

  describe('on SIGTERM', () => {
    it('closes its server and exits with code 0 by itself, even right after printing its endpoint', async () => {
      // A supervisor may stop the CLI as soon as it reads the endpoint line. Several starts make a
      // window between that line and the signal handlers show up reliably.
      const outcomes: Awaited<ReturnType<typeof stop>>[] = []
      for (let i = 0; i < STOP_ATTEMPTS; i++) {
        const { child } = await startCli(['--host', '127.0.0.1', '--port', '0'])
        outcomes.push(await stop(child))
      }
      expect(outcomes).toEqual(Array(STOP_ATTEMPTS).fill({ code: 0, signal: null }))
    })
  })
})
