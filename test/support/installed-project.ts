// A temporary project with edge-secrets installed, to run the README's examples as a user runs
// them (test/node/runtimes.test.ts, test/node/worker/extension.test.ts).
//
// The "installed" package is built from src/ by tsc into the project's node_modules/edge-secrets,
// so these tests never race the package test's `npm pack` (whose prepack rebuilds dist/), and the
// examples import `edge-secrets/client` exactly as they are written.
import { cp, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT, run } from './child-process.js'

const TSC = join(REPO_ROOT, 'node_modules/.bin/tsc')
const RUN_TIMEOUT_MS = 15_000

/**
 * A project with edge-secrets installed: the package's own package.json and a fresh tsc build of
 * src/ in node_modules/edge-secrets (which has no dependencies), esbuild (for the extension's
 * build script) linked from the repository, a copy of examples/, and an empty `home/` to point
 * `HOME` at. The caller removes it.
 */
export async function installedProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-secrets-examples-'))
  const installed = join(dir, 'node_modules/edge-secrets')
  const built = await run(TSC, ['-p', 'tsconfig.build.json', '--outDir', join(installed, 'dist')], {
    cwd: REPO_ROOT,
    timeoutMs: RUN_TIMEOUT_MS,
  })
  if (built.code !== 0) throw new Error(`tsc failed\n${built.stdout}${built.stderr}`)
  const manifest = await readFile(join(REPO_ROOT, 'package.json'), 'utf8')
  await writeFile(join(installed, 'package.json'), manifest)
  await symlink(join(REPO_ROOT, 'node_modules/esbuild'), join(dir, 'node_modules/esbuild'), 'dir')
  const { version } = JSON.parse(manifest) as { version: string }
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ private: true, type: 'module', dependencies: { 'edge-secrets': version } })
  )
  await cp(join(REPO_ROOT, 'examples'), join(dir, 'examples'), {
    recursive: true,
    filter: (source) => !source.includes(`${join('extension', 'dist')}`),
  })
  await mkdir(join(dir, 'home'))
  return dir
}

/**
 * Builds the MV3 extension with its own build script, as its README says, into `outdir`.
 *
 * @param project A project from {@link installedProject}.
 * @param outdir The folder to load unpacked.
 * @throws {Error} With the script's stderr when it fails.
 */
export async function buildExtension(project: string, outdir: string): Promise<void> {
  const built = await run(process.execPath, ['examples/extension/build.mjs', outdir], {
    cwd: project,
    env: { PATH: process.env.PATH, HOME: join(project, 'home'), NO_COLOR: '1' },
    timeoutMs: RUN_TIMEOUT_MS,
  })
  if (built.code !== 0) throw new Error(`the extension build failed\n${built.stderr}`)
}
