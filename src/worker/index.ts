/**
 * The worker entry. Until the Hono worker lands, it serves the emulator, backed by the
 * `EMULATOR_KV` namespace so a local `wrangler dev` keeps its secrets across restarts.
 *
 * @module
 */
import { createEmulator, type Emulator, EmulatorKvStore } from '../emulator/index.js'

// One emulator per isolate, built on first use from the bindings.
let emulator: Emulator | undefined

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    emulator ??= createEmulator({ store: new EmulatorKvStore(env.EMULATOR_KV) })
    return emulator.fetch(request)
  },
} satisfies ExportedHandler<Env>
