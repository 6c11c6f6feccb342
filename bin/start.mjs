// `npm start`: the worker on the embedded emulator (wrangler.dev.toml, src/worker/dev.ts), served
// by `wrangler dev` on 127.0.0.1:8787 with the development grant, offline.
//   npm start -- --port 8799 --persist-to /tmp/state   (any other flag goes to wrangler dev)
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The development grant's token (config/grants.dev.json holds only its SHA-256). It reads and
// writes demo/* on the local emulator, and the production entry refuses it.
const DEV_TOKEN = 'esk_dev_edge_secrets_local_only_not_a_secret'
// Derived from wrangler.dev.toml's development ACCESS_KEY_MASTER; no secret either.
const DEV_KEY_ID = 'ESKA01DEVELOPMENTLOCAL'
const DEV_SECRET_KEY = 'R1THffxffpOk631PvVrLt/kpyCgkEI741S7vol5F'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(name)
  if (at < 0) return fallback
  const [, value] = args.splice(at, 2)
  return value
}
const ip = option('--ip', '127.0.0.1')
const port = option('--port', '8787')
const persistTo = option('--persist-to', join(root, '.wrangler/state'))

// No telemetry, no update check, no cf.json download: the machine may be offline.
const env = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  ...process.env,
}

// `--var GRANTS:<json>` replaces the development grants, and with them the token below.
const ownGrants = args.some((arg, i) => arg.startsWith('GRANTS:') && args[i - 1] === '--var')
console.log(
  ownGrants
    ? `edge-secrets worker (development) on http://${ip}:${port}, backed by the embedded emulator
  grants:  from --var GRANTS (the development token is not accepted)
`
    : `edge-secrets worker (development) on http://${ip}:${port}, backed by the embedded emulator
  token:   ${DEV_TOKEN}   (grant "development": demo/*, every action)
  AWS key: ${DEV_KEY_ID} / ${DEV_SECRET_KEY}   (the same grant, for any AWS SDK on POST /)
  try:     curl -s -H "Authorization: Bearer ${DEV_TOKEN}" http://${ip}:${port}/v1/secrets?prefix=demo/
`
)

const wrangler = join(root, 'node_modules/wrangler/bin/wrangler.js')
const child = spawn(
  process.execPath,
  [
    wrangler,
    'dev',
    '-c',
    join(root, 'wrangler.dev.toml'),
    '--ip',
    ip,
    '--port',
    port,
    '--persist-to',
    persistTo,
    ...args,
  ],
  // From config/, where there is no worker-configuration.d.ts: that file describes wrangler.toml,
  // and wrangler would call it out of date for wrangler.dev.toml.
  { stdio: 'inherit', env, cwd: join(root, 'config') }
)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
