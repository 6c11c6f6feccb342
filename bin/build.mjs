// Builds dist/: one ESM file per package entry, bundled by esbuild, and the declarations by tsc.
// Bundled so that an import loads one module per entry instead of ten or so, which is most of
// the difference to aws4fetch's cold start on Deno and Bun (bench/5-runtimes). The entries
// share one copy of the code they have in common (splitting, in dist/_chunks/), so that
// `instanceof SecretsManagerError` holds across ./client, ./cache and ./worker. Dependencies and
// node: built-ins stay imports.
import { execFileSync } from 'node:child_process'
import { chmodSync, rmSync } from 'node:fs'
import { build } from 'esbuild'

const ENTRIES = [
  'src/client/index.ts',
  'src/cache/index.ts',
  'src/emulator/index.ts',
  'src/node/serve.ts',
  'src/node/emulator-cli.ts',
  'src/node/token-cli.ts',
  'src/worker/index.ts',
]

rmSync('dist', { recursive: true, force: true })
execFileSync('tsc', ['-p', 'tsconfig.build.json', '--emitDeclarationOnly'], {
  stdio: 'inherit',
  shell: process.platform === 'win32',
})
await build({
  entryPoints: ENTRIES,
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  packages: 'external',
  external: ['node:*'],
  chunkNames: '_chunks/[name]-[hash]',
  logLevel: 'warning',
})
chmodSync('dist/node/emulator-cli.js', 0o755)
chmodSync('dist/node/token-cli.js', 0o755)
