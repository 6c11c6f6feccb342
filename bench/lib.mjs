// Shared by every benchmark: interleaved rounds with the order rotated, medians with min–max,
// ratios to a floor measured in the same run, and one row format for the table.
import { performance } from 'node:perf_hooks'

/**
 * @typedef {object} Row
 * @property {string} section   e.g. 'Bundle size'
 * @property {string} name      what was measured
 * @property {number} value     the median (or the single figure)
 * @property {string} unit      'KB', 'ms', 'µs', 'calls/s', 'req/s', 'calls', …
 * @property {number} [min]
 * @property {number} [max]
 * @property {string} [floor]   the name of the row this is a ratio to
 * @property {number} [ratio]   value / floor's value, or floor / value for "higher is better" units
 * @property {string} [goal]    e.g. '≤ 2× floor'
 * @property {boolean} [met]    whether the goal holds
 * @property {string} [note]
 */

/**
 * Runs each variant `rounds` times, one sample per variant per round, rotating which goes first,
 * so that drift on a noisy machine falls on every variant alike.
 *
 * @param {Record<string, () => Promise<number>>} variants name → one measurement
 * @param {number} rounds
 * @returns {Promise<Record<string, number[]>>} name → samples
 */
export async function interleave(variants, rounds) {
  const names = Object.keys(variants)
  const samples = Object.fromEntries(names.map((name) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]
      samples[name].push(await variants[name]())
    }
  }
  return samples
}

/** Median, min and max of samples. */
export function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { value: median, min: sorted[0], max: sorted.at(-1) }
}

/** Units where more is better: their ratio is value / floor; for the others floor is the base too. */
const HIGHER_IS_BETTER = new Set(['calls/s', 'req/s', 'ops/s'])

/**
 * Rows from samples, each as a ratio to `floor` (one of the sample names) when given.
 *
 * @param {string} section
 * @param {Record<string, number[]>} samples
 * @param {{ unit: string, floor?: string, goals?: Record<string, [string, (ratio: number) => boolean]>, notes?: Record<string, string> }} options
 * @returns {Row[]}
 */
export function rowsFrom(section, samples, { unit, floor, goals = {}, notes = {} }) {
  const floorValue = floor === undefined ? undefined : stats(samples[floor]).value
  return Object.entries(samples).map(([name, values]) => {
    const row = { section, name, unit, ...stats(values) }
    if (floorValue !== undefined && name !== floor) {
      row.floor = floor
      row.ratio = row.value / floorValue
    }
    const goal = goals[name]
    if (goal !== undefined && row.ratio !== undefined) {
      row.goal = goal[0]
      row.met = goal[1](row.ratio)
    }
    if (notes[name] !== undefined) row.note = notes[name]
    return row
  })
}

/**
 * The esbuild options of test/support/workerd-bundle.ts (a TypeScript file Node 20 cannot import):
 * a workerd bundle as wrangler makes one. Spread it and add `entryPoints` or `stdin`.
 */
export const WORKERD_BUILD_OPTIONS = Object.freeze({
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['module', 'main'],
  write: false,
  logLevel: 'silent',
})

/** Times `fn` (sync or async) over `iterations` calls; returns microseconds per call. */
export async function perCallMicros(fn, iterations) {
  const start = performance.now()
  for (let i = 0; i < iterations; i++) await fn()
  return ((performance.now() - start) * 1000) / iterations
}

export { HIGHER_IS_BETTER }
