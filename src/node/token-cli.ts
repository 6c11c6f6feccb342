#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createToken, GRANT_ACTIONS, type Grant, parseGrants } from '../worker/grants.js'
import {
  createAccessKey,
  createMasterKey,
  type MasterKeys,
  parseMasterKeys,
} from '../worker/keys.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const DEV_GRANTS = join(ROOT, 'config/grants.dev.json')
const DEV_WRANGLER = join(ROOT, 'wrangler.dev.toml')

const USAGE = `Usage: npm run token -- [--aws] --name NAME --allow read,write --secrets 'prod/app/*'
       [--expires 2027-01-31T00:00:00Z] [--add [--file config/grants.dev.json]]
       npm run token -- --new-master VERSION

Prints a fresh bearer token and its grant entry as JSON: { "token", "grant" }. Only the grant
(which holds the token's SHA-256, never the token) goes into a grant list.

With --aws, prints a worker-issued AWS key pair instead: { "accessKeyId", "secretAccessKey",
"grant" }, for any AWS SDK or the CLI on the worker's POST /. The secret is derived from the
master key in the ACCESS_KEY_MASTER environment variable (the Worker secret of that name), or
from wrangler.dev.toml's development master key when it is not set; the grant holds the key id.
--new-master prints a fresh ACCESS_KEY_MASTER entry of that version (1-99); put it first in the
Worker secret, before the older entries, and new keys are issued under it.

  --name     the grant's unique name (rate limits and log lines use it)
  --allow    comma-separated actions: ${GRANT_ACTIONS.join(', ')}
  --secrets  comma-separated patterns: exact names, or prefix/* for every name under prefix/
  --expires  an ISO date after which the grant is refused
  --add      also add the grant to a grant list: the development grants that npm start uses,
             or --file (e.g. config/grants.json, the production entry's bundled list)`

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`)
  process.exit(2)
}

let values: Record<string, string | boolean | undefined>
try {
  ;({ values } = parseArgs({
    options: {
      name: { type: 'string' },
      allow: { type: 'string' },
      secrets: { type: 'string' },
      expires: { type: 'string' },
      add: { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
      'new-master': { type: 'string' },
      file: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }))
} catch (error) {
  fail((error as Error).message)
}
if (values.help) {
  console.log(USAGE)
  process.exit(0)
}
const list = (value: unknown) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    : []
if (typeof values['new-master'] === 'string') {
  try {
    console.log(createMasterKey(Number(values['new-master'])))
  } catch (error) {
    fail((error as Error).message)
  }
  process.exit(0)
}
if (typeof values.name !== 'string') fail('--name is required')
if (list(values.allow).length === 0) fail('--allow is required')
if (
  list(values.secrets).length === 0 &&
  !list(values.allow).every((a) => a === 'random-password')
) {
  fail('--secrets is required')
}
if (values.file !== undefined && !values.add) fail('--file needs --add')

// The master key for --aws: the environment's, else the development one (said on stderr).
function masterKeys(): MasterKeys {
  let text = process.env.ACCESS_KEY_MASTER
  if (text === undefined || text === '') {
    text = /^ACCESS_KEY_MASTER = "([^"]*)"$/m.exec(readFileSync(DEV_WRANGLER, 'utf8'))?.[1] ?? ''
    console.error(
      'ACCESS_KEY_MASTER is not set: issuing under the development master key of wrangler.dev.toml'
    )
  }
  try {
    return parseMasterKeys(text)
  } catch (error) {
    fail((error as Error).message)
  }
}

const credential = values.aws ? await createAccessKey(masterKeys()) : await createToken()
const grant: Grant = {
  name: values.name,
  ...('tokenSha256' in credential
    ? { tokenSha256: [credential.tokenSha256] }
    : { accessKeyIds: [credential.accessKeyId] }),
  actions: list(values.allow) as Grant['actions'],
  secrets: list(values.secrets),
  ...(typeof values.expires === 'string' ? { expiresAt: values.expires } : {}),
}
try {
  // The worker's own check, so a grant this prints is one the worker accepts.
  parseGrants([grant])
} catch (error) {
  fail((error as Error).message)
}

if (values.add) {
  const file = typeof values.file === 'string' ? values.file : DEV_GRANTS
  let current: unknown[]
  try {
    current = JSON.parse(readFileSync(file, 'utf8')) as unknown[]
    parseGrants(current)
  } catch (error) {
    fail(`${file} is not a valid grant list: ${(error as Error).message}`)
  }
  if (current.some((entry) => (entry as Grant).name === grant.name)) {
    fail(`${file} already has a grant named "${grant.name}"`)
  }
  const next = [...current, grant]
  parseGrants(next)
  writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`)
  console.error(`Added grant "${grant.name}" to ${file}. Restart npm start to use it.`)
}
const shown =
  'token' in credential
    ? { token: credential.token, grant }
    : {
        accessKeyId: credential.accessKeyId,
        secretAccessKey: credential.secretAccessKey,
        grant,
      }
console.log(JSON.stringify(shown, null, 2))
