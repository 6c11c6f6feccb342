// Shared helpers of the client tests: a client for the mocked endpoint, and a rejection catcher.
import { SecretsManagerClient, type SecretsManagerClientOptions } from '../../src/client/index.js'
import { CREDENTIALS, REGION } from './server.js'

/**
 * A client for the mocked endpoint of {@link REGION}, with zero backoff (`random: () => 0`)
 * unless overridden.
 *
 * @param options Options to add or override.
 * @returns The client.
 */
export function testClient(options: Partial<SecretsManagerClientOptions> = {}) {
  return new SecretsManagerClient({
    region: REGION,
    credentials: CREDENTIALS,
    random: () => 0,
    ...options,
  })
}

/**
 * Settles `promise` into its rejection reason.
 *
 * @param promise A promise expected to reject.
 * @returns The reason.
 * @throws {Error} When the promise resolves.
 */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (e) {
    return e
  }
  throw new Error('expected a rejection')
}
