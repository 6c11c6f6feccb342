// How the Node tests bundle code for workerd (Miniflare), as wrangler would (TOOLCHAIN.md):
// ESM, no platform built-ins, and the workerd export conditions.
import { type BuildOptions, build } from 'esbuild'

/** The esbuild options for a workerd bundle; add `entryPoints` or `stdin`. */
export const WORKERD_BUILD_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['module', 'main'],
  write: false,
  logLevel: 'silent',
} as const satisfies BuildOptions

/**
 * Bundles TypeScript source for workerd, resolving its imports from `resolveDir`.
 *
 * @param contents The module's source.
 * @param resolveDir Where relative imports and packages resolve from.
 * @returns The bundled module's text.
 * @throws {Error} When esbuild fails or writes nothing.
 */
export async function bundleForWorkerd(contents: string, resolveDir: string): Promise<string> {
  const result = await build({
    ...WORKERD_BUILD_OPTIONS,
    stdin: { contents, resolveDir, loader: 'ts' },
  })
  const script = result.outputFiles[0]?.text
  if (script === undefined) throw new Error('esbuild produced no output')
  return script
}
