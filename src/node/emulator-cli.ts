#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { createEmulator } from '../emulator/index.js'
import { serve } from './serve.js'

const USAGE = `Usage: edge-secrets-emulator [--host 127.0.0.1] [--port 4566] [--account-id 123456789012]
       [--access-key-id ID --secret-access-key KEY [--session-token TOKEN]]

Serves a local AWS Secrets Manager until stopped. Without --access-key-id any key pair is
accepted; with it, only that pair, and every signature is verified. With --session-token the
pair is temporary: requests must carry that X-Amz-Security-Token.`

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '4566' },
    'account-id': { type: 'string' },
    'access-key-id': { type: 'string' },
    'secret-access-key': { type: 'string' },
    'session-token': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
})

if (values.help) {
  console.log(USAGE)
  process.exit(0)
}
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`Invalid --port ${values.port}\n\n${USAGE}`)
  process.exit(2)
}
const accessKeyId = values['access-key-id']
const secretAccessKey = values['secret-access-key']
const sessionToken = values['session-token']
if (
  (accessKeyId === undefined) !== (secretAccessKey === undefined) ||
  (sessionToken !== undefined && accessKeyId === undefined)
) {
  console.error(
    `--access-key-id and --secret-access-key go together (and --session-token needs them)\n\n${USAGE}`
  )
  process.exit(2)
}

const emulator = createEmulator({
  ...(values['account-id'] !== undefined && { accountId: values['account-id'] }),
  ...(accessKeyId !== undefined &&
    secretAccessKey !== undefined && {
      credentials: [
        { accessKeyId, secretAccessKey, ...(sessionToken !== undefined && { sessionToken }) },
      ],
    }),
})
const served = await serve(emulator.fetch, { host: values.host, port })
// Handlers first: whoever reads the endpoint line may signal us at once.
const stop = () => {
  served.close().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
console.log(`edge-secrets emulator: AWS Secrets Manager at ${served.url}`)
console.log(
  `  e.g. aws secretsmanager list-secrets --endpoint-url ${served.url} --region us-east-1`
)
