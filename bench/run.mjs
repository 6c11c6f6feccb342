// `npm run bench`: every benchmark in bench/*.bench.mjs, in name order, then one table printed
// and written to bench/RESULTS.md with the machine, the versions and the date. No assertions:
// a missed goal is a row marked ✗, for the README and the issue to explain.
//   npm run bench [-- --rounds 5] [-- --only bundle,cache]
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, only: { type: 'string' } },
})
const rounds = Number(values.rounds)
const only = values.only?.split(',')

const files = readdirSync(here)
  .filter((file) => file.endsWith('.bench.mjs'))
  .filter((file) => only === undefined || only.some((name) => file.startsWith(name)))
  .sort()

const rows = []
const started = Date.now()
// dist/ as the package ships it, from the current sources (the Node, Deno and Bun rows import it).
execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
for (const file of files) {
  const t0 = Date.now()
  console.error(`bench: ${file} …`)
  const module = await import(pathToFileURL(join(here, file)).href)
  try {
    rows.push(...(await module.run({ rounds, root })))
  } catch (error) {
    rows.push({
      section: file,
      name: 'failed',
      value: Number.NaN,
      unit: '',
      note: String(error?.message ?? error).slice(0, 200),
    })
  }
  console.error(`bench: ${file} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
}

const version = (name) => {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'))
      .version
  } catch {
    return 'not installed'
  }
}
const tool = (cmd, args) => {
  try {
    return execFileSync(join(root, 'node_modules/.bin', cmd), args, { encoding: 'utf8' })
      .trim()
      .split('\n')[0]
  } catch {
    return 'not available'
  }
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform} ${process.arch}`
const versions = [
  `Node ${process.version}`,
  `workerd ${version('workerd')}`,
  `Deno ${tool('deno', ['--version']).replace(/^deno /, '')}`,
  `Bun ${tool('bun', ['--version'])}`,
  `edge-secrets ${version('../')}`,
  `@aws-sdk/client-secrets-manager ${version('@aws-sdk/client-secrets-manager')}`,
  `aws4fetch ${version('aws4fetch')}`,
  `hono ${version('hono')}`,
  `autocannon ${version('autocannon')}`,
].join(', ')

const fmt = (n) =>
  n === undefined || Number.isNaN(n)
    ? ''
    : Math.abs(n) >= 100
      ? n.toFixed(0)
      : Math.abs(n) >= 10
        ? n.toFixed(1)
        : n.toFixed(2)
const lines = [
  '| section | measured | median | min–max | unit | floor | ratio | goal | |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map((row) =>
    [
      row.section,
      row.name + (row.note ? ` (${row.note})` : ''),
      fmt(row.value),
      row.min === undefined || row.min === row.max ? '' : `${fmt(row.min)}–${fmt(row.max)}`,
      row.unit,
      row.floor ?? '',
      row.ratio === undefined ? '' : `${fmt(row.ratio)}×`,
      row.goal ?? '',
      row.met === undefined ? '' : row.met ? '✓' : '✗',
    ]
      .join(' | ')
      .replace(/^/, '| ')
      .replace(/$/, ' |')
  ),
]
const table = lines.join('\n')
const doc = `# Benchmark results

Written by \`npm run bench\` on ${new Date(started).toISOString().slice(0, 10)}, ${rounds} interleaved rounds, in ${Math.round((Date.now() - started) / 1000)} s.

- Machine: ${machine}
- Versions: ${versions}

Medians, with min–max over the rounds; each ratio is to the floor named on its row, measured in
the same run. For times and sizes a lower ratio is better; for rates (calls/s, req/s) the ratio
is the rate over the floor's, so higher is better.

${table}
`
writeFileSync(join(here, 'RESULTS.md'), doc)
console.log(table)
console.error(`bench: wrote bench/RESULTS.md in ${Math.round((Date.now() - started) / 1000)} s`)
