// What the worker's two property tests (fuzz.test.ts for the REST routes, fuzz-aws.test.ts for
// POST /) read answers with: the same checks, so that both judge an answer the same way.

/**
 * Every `Name` an answer returns: the secret, a batch's values, a list's entries.
 */
// biome-ignore lint/suspicious/noExplicitAny: any JSON answer
export function namesIn(json: any): string[] {
  if (typeof json !== 'object' || json === null) return []
  const names: string[] = typeof json.Name === 'string' ? [json.Name] : []
  for (const list of [json.SecretValues, json.SecretList]) {
    if (Array.isArray(list)) for (const entry of list) names.push(...namesIn(entry))
  }
  return names
}

/** Fails naming every finding in full (an expect would cut a long message short). */
export function refuse(findings: string[], what: string): void {
  if (findings.length > 0) throw new Error(`${what}: ${findings.join('; ')}`)
}
