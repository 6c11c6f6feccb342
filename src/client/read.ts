// createSecretReader: GetSecretValue alone over the client's transport, for bundles that want
// the read path without the class's other operations.
import { createTransport } from './transport.js'
import type {
  GetSecretValueRequest,
  GetSecretValueResponse,
  RequestOptions,
  SecretsManagerClientOptions,
} from './types.js'

/** What {@link createSecretReader} returns: GetSecretValue alone, with the client's settings. */
export interface SecretReader {
  /** The region every request is signed for. */
  readonly region: string
  /** The URL every request is POSTed to. */
  readonly endpoint: string
  /**
   * The time limit per attempt (0: none). `SecretCache` reads it: a read waiting for another
   * read's call gives up after this long.
   */
  readonly timeoutMs: number
  /**
   * Reads a secret value: the AWSCURRENT version, unless `VersionId` or `VersionStage` is given.
   *
   * @param input `SecretId`, and optionally `VersionId` or `VersionStage`.
   * @param opts `{ signal }`.
   * @returns The value (`SecretString` or `SecretBinary`) with its version metadata.
   * @throws {SecretsManagerError} E.g. `ResourceNotFoundException`, `DecryptionFailure`.
   */
  getSecretValue(
    input: GetSecretValueRequest,
    opts?: RequestOptions
  ): Promise<GetSecretValueResponse>
}

/**
 * The read path of {@link SecretsManagerClient} on its own: GetSecretValue with the same
 * options, signing, retries, time limits, clock correction and errors. A bundle that imports only
 * this leaves out the other operations, their input checks and the convenience readers, which a
 * class cannot shed. It fits `SecretCache`'s `client` option.
 *
 * @param options As for `new SecretsManagerClient(options)`.
 * @returns A reader; make one per isolate, like a client (it holds the retry quota, the signing
 *   keys and the clock correction).
 * @throws {TypeError} When `region` or `credentials` is missing, or an option is invalid.
 * @example
 * ```ts
 * import { createSecretReader, fromEnv, type SecretReader } from 'edge-secrets/client'
 *
 * let sm: SecretReader | undefined
 * export default {
 *   async fetch(request: Request, env: Env) {
 *     sm ??= createSecretReader(fromEnv(env))
 *     const { SecretString } = await sm.getSecretValue({ SecretId: 'prod/app/db' })
 *     return new Response(SecretString)
 *   },
 * }
 * ```
 */
export function createSecretReader(options: SecretsManagerClientOptions): SecretReader {
  const { region, endpoint, timeoutMs, send } = createTransport(options)
  return {
    region,
    endpoint,
    timeoutMs,
    // A GetSecretValue request has no blob and nothing to check before sending: plain JSON, as
    // encodeRequest would write it (which the class uses, and which would bring every
    // operation's checks along).
    getSecretValue: (input, opts) => send('GetSecretValue', JSON.stringify(input), opts),
  }
}
