/**
 * The production entry (`main` in `wrangler.toml`): the worker with the bundled grant list,
 * `config/grants.json`, unless the `GRANTS` secret replaces it. It holds no emulator and no
 * development grant: `npm start` runs `dev.ts` instead, through `wrangler.dev.toml`.
 *
 * @module
 */
import grants from '../../config/grants.json'
import { createSecretsApp } from './app.js'

export default createSecretsApp({ grants })
