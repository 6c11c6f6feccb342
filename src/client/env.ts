import type { SecretsManagerClientOptions } from './types.js'

// The runtimes' environment objects, reached through globalThis so that no Node type or global
// is referenced (the edge code must type-check without @types/node).
interface RuntimeGlobals {
  Deno?: { env?: { get?: (name: string) => string | undefined } }
  Bun?: { env?: Record<string, string | undefined> }
  process?: { env?: Record<string, string | undefined> }
}

/**
 * Builds client options from the standard AWS environment variables:
 * `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (else
 * `AWS_DEFAULT_REGION`), `AWS_ENDPOINT_URL_SECRETS_MANAGER` (else `AWS_ENDPOINT_URL`) and
 * `AWS_USE_FIPS_ENDPOINT` (`true`). Empty values count as unset.
 *
 * @param env Where to read them, e.g. a Worker's `env`. Without it: `Deno.env`, else `Bun.env`,
 *   else `process.env`, whichever exists. Nothing is imported, and only these names are read
 *   (Deno asks for `--allow-env` per name; an unreadable name counts as unset).
 * @returns Options for `new SecretsManagerClient(...)`; spread them to add or override options.
 * @throws {TypeError} When the region or either part of the key pair is missing.
 * @example
 * ```ts
 * export default {
 *   async fetch(request: Request, env: Env) {
 *     const sm = new SecretsManagerClient(fromEnv(env))
 *     return new Response(await sm.getSecretString('prod/app/greeting'))
 *   },
 * }
 * ```
 */
export function fromEnv(env?: object): SecretsManagerClientOptions {
  const read = reader(env)
  const region = read('AWS_REGION') ?? read('AWS_DEFAULT_REGION')
  const accessKeyId = read('AWS_ACCESS_KEY_ID')
  const secretAccessKey = read('AWS_SECRET_ACCESS_KEY')
  const sessionToken = read('AWS_SESSION_TOKEN')
  const endpoint = read('AWS_ENDPOINT_URL_SECRETS_MANAGER') ?? read('AWS_ENDPOINT_URL')
  const useFips = read('AWS_USE_FIPS_ENDPOINT')?.toLowerCase() === 'true'
  if (region === undefined) throw new TypeError('AWS_REGION (or AWS_DEFAULT_REGION) is not set')
  if (accessKeyId === undefined) throw new TypeError('AWS_ACCESS_KEY_ID is not set')
  if (secretAccessKey === undefined) throw new TypeError('AWS_SECRET_ACCESS_KEY is not set')
  return {
    region,
    credentials: {
      accessKeyId,
      secretAccessKey,
      ...(sessionToken === undefined ? {} : { sessionToken }),
    },
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(useFips ? { useFipsEndpoint: true } : {}),
  }
}

// Returns a lookup over the given object or the runtime's environment.
function reader(env: object | undefined): (name: string) => string | undefined {
  const pick = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)
  if (env != null) return (name) => pick((env as Record<string, unknown>)[name])
  const runtime = globalThis as RuntimeGlobals
  const deno = runtime.Deno?.env
  if (typeof deno?.get === 'function') {
    const get = deno.get.bind(deno)
    return (name) => {
      try {
        return pick(get(name))
      } catch {
        // Deno without --allow-env for this name (NotCapable / PermissionDenied).
        return undefined
      }
    }
  }
  const vars = runtime.Bun?.env ?? runtime.process?.env ?? {}
  return (name) => pick(vars[name])
}
