/**
 * `edge-secrets/cache`: the secret cache (memory and Workers KV) is not built yet. The subpath
 * exists so the package's exports map is complete and an import resolves; it exports nothing.
 *
 * @module
 */
export {}
