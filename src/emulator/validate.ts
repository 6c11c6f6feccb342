import { AwsServiceError } from './errors.js'

/** A request body after JSON parsing: the AWS member names, unchanged. */
export type Input = Record<string, unknown>

interface StringRule {
  min?: number
  max?: number
  pattern?: RegExp
  required?: boolean
  /** Never quote the value in a message (secret values, tokens). */
  sensitive?: boolean
}

interface NumberRule {
  min?: number
  max?: number
  required?: boolean
  integer?: boolean
}

// A body member of the wrong JSON type fails before validation in the service, with a
// SerializationException, as the smithy awsJson1_1 server protocol does.
const serialization = (member: string, expected: string) =>
  new AwsServiceError(
    'SerializationException',
    `Unexpected value for member ${member}: expected ${expected}.`
  )

const camel = (member: string) => member.charAt(0).toLowerCase() + member.slice(1)

/**
 * Checks members against the constraints of the service model and collects every violation,
 * then throws one `ValidationException` worded like the service's
 * ("1 validation error detected: Value at 'name' failed to satisfy constraint: …").
 */
export class InputReader {
  readonly #input: Input
  readonly #violations: string[] = []

  constructor(input: Input) {
    this.#input = input
  }

  #violation(member: string, value: unknown, constraint: string, sensitive = false) {
    const shown =
      value === null ? ' null' : sensitive || typeof value === 'object' ? '' : ` '${String(value)}'`
    this.#violations.push(
      `Value${shown} at '${camel(member)}' failed to satisfy constraint: ${constraint}`
    )
  }

  #present(member: string, required: boolean | undefined): unknown {
    const value = this.#input[member]
    if (value == null) {
      if (required) this.#violation(member, null, 'Member must not be null')
      return undefined
    }
    return value
  }

  /** A string member, or `undefined` when absent or `null`. */
  string(member: string, rule: StringRule = {}): string | undefined {
    const value = this.#present(member, rule.required)
    if (value === undefined) return undefined
    if (typeof value !== 'string') throw serialization(member, 'a string')
    this.#length(member, value, codePoints(value), rule)
    if (rule.pattern && !rule.pattern.test(value)) {
      this.#violation(
        member,
        value,
        `Member must satisfy regular expression pattern: ${rule.pattern.source}`,
        rule.sensitive
      )
    }
    return value
  }

  #length(member: string, value: unknown, length: number, rule: StringRule) {
    if (rule.min !== undefined && length < rule.min) {
      this.#violation(
        member,
        value,
        `Member must have length greater than or equal to ${rule.min}`,
        rule.sensitive
      )
    }
    if (rule.max !== undefined && length > rule.max) {
      this.#violation(
        member,
        value,
        `Member must have length less than or equal to ${rule.max}`,
        rule.sensitive
      )
    }
  }

  /** A number member (`integer`/`long` in the model). */
  number(member: string, rule: NumberRule = {}): number | undefined {
    const value = this.#present(member, rule.required)
    if (value === undefined) return undefined
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw serialization(member, 'a number')
    if (!Number.isInteger(value)) throw serialization(member, 'an integer')
    if (rule.min !== undefined && value < rule.min) {
      this.#violation(member, value, `Member must have value greater than or equal to ${rule.min}`)
    }
    if (rule.max !== undefined && value > rule.max) {
      this.#violation(member, value, `Member must have value less than or equal to ${rule.max}`)
    }
    return value
  }

  boolean(member: string): boolean | undefined {
    const value = this.#present(member, false)
    if (value === undefined) return undefined
    if (typeof value !== 'boolean') throw serialization(member, 'a boolean')
    return value
  }

  /** A blob member: base64 on the wire. Returns the base64 text and the decoded byte count. */
  blob(member: string, rule: StringRule = {}): { base64: string; byteLength: number } | undefined {
    const value = this.#present(member, rule.required)
    if (value === undefined) return undefined
    if (typeof value !== 'string') throw serialization(member, 'a base64 string')
    let byteLength: number
    try {
      byteLength = atob(value).length
    } catch {
      throw serialization(member, 'valid base64')
    }
    this.#length(member, value, byteLength, { ...rule, sensitive: true })
    // Keep a canonical encoding (padding, no whitespace), so equal bytes compare equal when a
    // retried write is checked for idempotency.
    return { base64: btoa(atob(value)), byteLength }
  }

  /** A list member; `item` reads one element (and may throw for a wrong type). */
  list<T>(
    member: string,
    rule: { min?: number; max?: number; required?: boolean },
    item: (value: unknown, index: number) => T
  ): T[] | undefined {
    const value = this.#present(member, rule.required)
    if (value === undefined) return undefined
    if (!Array.isArray(value)) throw serialization(member, 'a list')
    this.#length(member, value, value.length, { ...rule, sensitive: true })
    return value.map(item)
  }

  /** Throws the collected violations, if any, as one ValidationException. */
  done(): void {
    const count = this.#violations.length
    if (count === 0) return
    throw new AwsServiceError(
      'ValidationException',
      `${count} validation error${count > 1 ? 's' : ''} detected: ${this.#violations.join('; ')}`
    )
  }
}

// Smithy measures string length in Unicode code points, not UTF-16 units.
function codePoints(text: string): number {
  let count = text.length
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--
        i++
      }
    }
  }
  return count
}

/** Reads a list element that must be a string within a length range. */
export const stringItem =
  (member: string, min: number, max: number) =>
  (value: unknown): string => {
    if (typeof value !== 'string') throw serialization(member, 'a list of strings')
    const length = codePoints(value)
    if (length < min || length > max) {
      throw new AwsServiceError(
        'ValidationException',
        `1 validation error detected: Value at '${camel(member)}' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to ${max}, Member must have length greater than or equal to ${min}]`
      )
    }
    return value
  }

/** Reads a list element that must be a JSON object. */
export const objectItem =
  (member: string) =>
  (value: unknown): Input => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw serialization(member, 'a list of structures')
    }
    return value as Input
  }
