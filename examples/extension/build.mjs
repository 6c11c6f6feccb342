// Bundles the extension into examples/extension/dist/, the folder to load unpacked
// (chrome://extensions → Developer mode → Load unpacked):
//   node examples/extension/build.mjs [outdir]
// `edge-secrets/client` resolves like any installed package (in this repository, to its own
// dist/: run `npm run build` first).
import { copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = fileURLToPath(new URL('.', import.meta.url))
const outdir = process.argv[2] ?? join(here, 'dist')

await mkdir(outdir, { recursive: true })
await build({
  entryPoints: [join(here, 'background.ts'), join(here, 'popup.ts')],
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome120',
  logLevel: 'warning',
})
for (const file of ['manifest.json', 'popup.html']) {
  await copyFile(join(here, file), join(outdir, file))
}
console.log(`extension built in ${outdir}`)
