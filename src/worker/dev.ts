/**
 * The development entry behind `npm start` (`wrangler.dev.toml`, never `wrangler deploy`): the
 * worker on the embedded emulator, its secrets in the local `EMULATOR_KV` namespace (so they
 * survive restarts), with the development grants of `config/grants.dev.json`, whose README
 * token reads and writes `demo/*`.
 *
 * @module
 */
import devGrants from '../../config/grants.dev.json'
import { createEmulator, EmulatorKvStore } from '../emulator/index.js'
import type { KvNamespaceLike } from '../emulator/kv-store.js'
import { createSecretsApp } from './app.js'
import type { WorkerBindings } from './env.js'

interface DevBindings extends WorkerBindings {
  EMULATOR_KV: KvNamespaceLike
}

export default createSecretsApp({
  grants: devGrants,
  clientOptions: (env) => {
    const { EMULATOR_KV, AWS_ACCOUNT_ID, AWS_REGION } = env as DevBindings
    // Called once per isolate, with the client: one emulator per isolate, on the KV namespace.
    const local = createEmulator({
      store: new EmulatorKvStore(EMULATOR_KV),
      ...(AWS_ACCOUNT_ID === undefined ? {} : { accountId: AWS_ACCOUNT_ID }),
    })
    return {
      region: AWS_REGION ?? 'us-east-1',
      // The emulator accepts any key pair (it checks the signature's form, not its HMAC).
      credentials: { accessKeyId: 'AKIAEDGESECRETSDEV00', secretAccessKey: 'development' },
      endpoint: 'http://emulator.localhost',
      fetch: (input, init) => local.fetch(new Request(input, init)),
    }
  },
})
