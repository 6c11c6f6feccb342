/**
 * A local AWS Secrets Manager: a fetch handler that speaks the service's JSON 1.1 protocol,
 * verifies SigV4, and keeps secrets in memory or in Workers KV. Runs in workerd, Node, Deno, Bun
 * and browsers.
 *
 * @module
 */

export type {
  CredentialsOption,
  SigV4Credential as EmulatorCredential,
} from '../protocol/sigv4.js'
export type { Emulator, EmulatorOptions, Fault } from './emulator.js'
export { createEmulator } from './emulator.js'
export { AwsServiceError } from './errors.js'
export { EmulatorKvStore, type KvNamespaceLike } from './kv-store.js'
export { EmulatorMemoryStore } from './memory-store.js'
export type { EmulatorStore, StoredSecret, StoredTag, StoredVersion } from './types.js'
