// `npm start` as a user runs it, from Node tests: its own port and state directory, offline, in
// a process group of its own so that stopping it stops wrangler and workerd too. Every wait is
// bounded, and a group still running when the test process exits is killed then.
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { childEnv } from './child-process.js'

/** The variables that keep wrangler offline (see TOOLCHAIN.md, "Offline wrangler"). */
export const OFFLINE_ENV: Record<string, string> = {
  CI: 'true',
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
}

/** A running `npm start`. */
export interface DevServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  port: number
  /** Everything it has written so far, stdout and stderr interleaved. */
  output(): string
  /** Stops the whole process group; resolves once no process of it is left (bounded). */
  stop(): Promise<void>
}

const POLL_MS = 100
const TERM_WAIT_MS = 10_000
const KILL_WAIT_MS = 5_000

// Process groups started here and not yet stopped: killed if the test process exits first.
const running = new Set<number>()
process.once('exit', () => {
  for (const pgid of running) signalGroup(pgid, 'SIGKILL')
})

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port)
        else reject(new Error('no port'))
      })
    })
  })
}

/**
 * Runs `npm start -- --port <port> --persist-to <persistTo> --inspector-port <free port>` in
 * `cwd`, detached in its own process group with stdin from /dev/null, and resolves once it prints
 * `Ready on` and answers `GET /ping`. On failure or timeout it stops the group and rejects with
 * the output.
 *
 * `--inspector-port` goes through to wrangler dev. Without it wrangler probes from 9229 and
 * workerd binds the port a moment later, so two servers starting together (two test files, or
 * other work on the machine) can pick the same one and one fails with `Address already in use`.
 */
export async function startDevServer(options: {
  cwd: string
  port: number
  persistTo: string
  timeoutMs: number
  /** More arguments for wrangler dev, such as `--var GRANTS:<json>`. */
  args?: string[]
}): Promise<DevServer> {
  const { cwd, port, persistTo, timeoutMs } = options
  const url = `http://127.0.0.1:${port}`
  const inspectorPort = await freePort()
  const args = ['start', '--', '--port', String(port), '--persist-to', persistTo]
  const extra = options.args ?? []
  const child = spawn('npm', [...args, '--inspector-port', String(inspectorPort), ...extra], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv(OFFLINE_ENV),
  })
  const pgid = child.pid
  if (pgid === undefined) throw new Error('npm start did not start')
  running.add(pgid)
  let output = ''
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
    })
  }
  const server: DevServer = {
    url,
    port,
    output: () => output,
    stop: () => stopGroup(child, pgid),
  }
  try {
    await waitUntilReady(child, url, () => output, timeoutMs)
    return server
  } catch (error) {
    await server.stop()
    throw new Error(`${(error as Error).message}\n--- npm start output ---\n${output}`)
  }
}

async function waitUntilReady(
  child: ChildProcess,
  url: string,
  output: () => string,
  timeoutMs: number
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const ready = new RegExp(`Ready on ${url.replace(/\./g, '\\.')}`)
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`npm start exited early (${child.exitCode ?? child.signalCode})`)
    }
    if (ready.test(output())) {
      try {
        const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2_000) })
        if (response.status === 200 && (await response.text()) === 'healthy') return
      } catch {
        // Not listening yet.
      }
    }
    await sleep(POLL_MS)
  }
  throw new Error(`npm start was not ready on ${url} within ${timeoutMs} ms`)
}

async function stopGroup(child: ChildProcess, pgid: number): Promise<void> {
  if (!running.has(pgid)) return
  signalGroup(pgid, 'SIGTERM')
  if (!(await groupGone(pgid, TERM_WAIT_MS))) {
    signalGroup(pgid, 'SIGKILL')
    await groupGone(pgid, KILL_WAIT_MS)
  }
  running.delete(pgid)
  // npm itself is ours: wait for its exit so no handle outlives the test.
  if (child.exitCode === null && child.signalCode === null) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, KILL_WAIT_MS)
      child.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch {
    // The group is already gone.
  }
}

async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (liveMembers(pgid) === 0) return true
    await sleep(POLL_MS)
  }
  return liveMembers(pgid) === 0
}

// Processes of the group that are still running. Read from /proc rather than with kill(-pgid, 0),
// which also counts zombies, and this machine's init does not always reap them.
function liveMembers(pgid: number): number {
  let count = 0
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return groupExists(pgid) ? 1 : 0
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }
    // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') count++
  }
  return count
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
