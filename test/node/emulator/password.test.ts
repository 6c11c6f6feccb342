import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AwsServiceError } from '../../../src/emulator/errors.js'
import { type GetRandomPasswordInput, generatePassword } from '../../../src/emulator/password.js'

// The character classes, spelled out here independently of the implementation: this is the spec.
const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz'
const DIGITS = '0123456789'
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'
const CLASSES = [
  { switch: 'ExcludeUppercase', characters: UPPERCASE },
  { switch: 'ExcludeLowercase', characters: LOWERCASE },
  { switch: 'ExcludeNumbers', characters: DIGITS },
  { switch: 'ExcludePunctuation', characters: PUNCTUATION },
] as const
const DEFAULT_ALPHABET = UPPERCASE + LOWERCASE + DIGITS + PUNCTUATION
const PRINTABLE_ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))
// crypto.getRandomValues refuses more than 65,536 bytes per call.
const MAX_UINT32_PER_CALL = 16_384

type Seam = (array: Uint32Array<ArrayBuffer>) => Uint32Array

/** A deterministic seam (mulberry32), so statistical tests give the same verdict on every run. */
function seeded(seed: number): Seam {
  let state = seed >>> 0
  return (array) => {
    for (let i = 0; i < array.length; i++) {
      state = (state + 0x6d2b79f5) >>> 0
      let t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      array[i] = (t ^ (t >>> 14)) >>> 0
    }
    return array
  }
}

/** A seam that hands out the given values in order, then `fill` forever, and counts its calls. */
function scripted(values: number[], fill = 0): Seam & { calls: number[] } {
  const queue = [...values]
  const calls: number[] = []
  const seam = (array: Uint32Array<ArrayBuffer>) => {
    calls.push(array.length)
    for (let i = 0; i < array.length; i++) array[i] = queue.shift() ?? fill
    return array
  }
  return Object.assign(seam, { calls })
}

function counting(inner: Seam): Seam & { calls: number[] } {
  const calls: number[] = []
  const seam = (array: Uint32Array<ArrayBuffer>) => {
    calls.push(array.length)
    return inner(array)
  }
  return Object.assign(seam, { calls })
}

function thrown(run: () => unknown): AwsServiceError {
  try {
    run()
  } catch (error) {
    if (error instanceof AwsServiceError) return error
    throw error
  }
  throw new Error('expected an AwsServiceError, but nothing was thrown')
}

function expectInvalidParameter(run: () => unknown, message: string | RegExp) {
  const error = thrown(run)
  expect(error.type).toBe('InvalidParameterException')
  expect(error.status).toBe(400)
  if (typeof message === 'string') expect(error.message).toBe(message)
  else expect(error.message).toMatch(message)
}

function chiSquare(counts: number[]): number {
  const total = counts.reduce((sum, n) => sum + n, 0)
  const expected = total / counts.length
  return counts.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0)
}

type Outcome = { error: string } | { length: number; allowed: Set<string>; required: string[] }

/** What the service answers for a well-typed request: an error message, or the password's rules. */
function expectedOutcome(input: GetRandomPasswordInput): Outcome {
  const length = input.PasswordLength ?? 32
  const excluded = new Set(input.ExcludeCharacters ?? '')
  const requireEach = input.RequireEachIncludedType ?? true
  const allowed = new Set<string>()
  const required: string[] = []
  for (const { switch: key, characters } of CLASSES) {
    if (input[key] === true) continue
    const left = [...characters].filter((c) => !excluded.has(c))
    if (requireEach && left.length === 0) {
      return { error: 'All characters of the desired type have been excluded.' }
    }
    if (requireEach) required.push(left.join(''))
    for (const c of left) allowed.add(c)
  }
  if (input.IncludeSpace === true && !excluded.has(' ')) allowed.add(' ')
  if (allowed.size === 0) return { error: 'All characters have been excluded from selection.' }
  if (length < required.length) {
    return { error: 'Password length is too short based on the required types.' }
  }
  return { length, allowed, required }
}

function expectFollowsRules(password: string, input: GetRandomPasswordInput) {
  const outcome = expectedOutcome(input)
  if ('error' in outcome) throw new Error(`expected an error: ${outcome.error}`)
  expect(password).toHaveLength(outcome.length)
  for (const c of password) expect(outcome.allowed.has(c)).toBe(true)
  for (const c of input.ExcludeCharacters ?? '') expect(password).not.toContain(c)
  for (const characters of outcome.required) {
    expect([...password].some((c) => characters.includes(c))).toBe(true)
  }
}

const excludeCharacters = fc.oneof(
  fc.string({ unit: fc.constantFrom(...PRINTABLE_ASCII), maxLength: 40 }),
  // Whole classes (and the space), to reach the "emptied class" and "nothing left" rules often.
  fc
    .tuple(
      fc.subarray([UPPERCASE, LOWERCASE, DIGITS, PUNCTUATION, ' ']),
      fc.string({ unit: fc.constantFrom(...PRINTABLE_ASCII), maxLength: 10 })
    )
    .map(([classes, extra]) => classes.join('') + extra),
  fc.string({ unit: 'binary', maxLength: 20 })
)

const anyOptions = fc.record(
  {
    PasswordLength: fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 64 }), weight: 4 },
      { arbitrary: fc.integer({ min: 1, max: 4096 }), weight: 1 }
    ),
    ExcludeCharacters: excludeCharacters,
    ExcludeNumbers: fc.boolean(),
    ExcludePunctuation: fc.boolean(),
    ExcludeUppercase: fc.boolean(),
    ExcludeLowercase: fc.boolean(),
    IncludeSpace: fc.boolean(),
    RequireEachIncludedType: fc.boolean(),
  },
  { requiredKeys: [] }
)

describe('generatePassword', () => {
  describe('defaults', () => {
    it('makes 32 characters with every class and no space', () => {
      const password = generatePassword({})
      expect(password).toHaveLength(32)
      for (const c of password) expect(DEFAULT_ALPHABET).toContain(c)
      for (const { characters } of CLASSES) {
        expect([...password].some((c) => characters.includes(c))).toBe(true)
      }
    })

    it('draws from all 94 default characters', () => {
      const random = seeded(1)
      const seen = new Set<string>()
      for (let i = 0; i < 100; i++) for (const c of generatePassword({}, random)) seen.add(c)
      expect([...seen].sort().join('')).toBe([...DEFAULT_ALPHABET].sort().join(''))
    })

    it('treats null members as absent', () => {
      const input = {
        PasswordLength: null,
        ExcludeCharacters: null,
        IncludeSpace: null,
        RequireEachIncludedType: null,
      } as unknown as GetRandomPasswordInput
      const password = generatePassword(input)
      expect(password).toHaveLength(32)
      expectFollowsRules(password, {})
    })

    it('takes all its randomness from the seam', () => {
      expect(generatePassword({ PasswordLength: 64 }, seeded(7))).toBe(
        generatePassword({ PasswordLength: 64 }, seeded(7))
      )
    })
  })

  describe('properties', () => {
    it('answers every option combination like the service: the right error or a valid password', () => {
      fc.assert(
        fc.property(anyOptions, fc.integer(), (input, seed) => {
          const outcome = expectedOutcome(input)
          if ('error' in outcome) {
            expectInvalidParameter(() => generatePassword(input, seeded(seed)), outcome.error)
          } else {
            expectFollowsRules(generatePassword(input, seeded(seed)), input)
          }
        }),
        { numRuns: 500 }
      )
    })

    it('never refuses options that leave every required class a character', () => {
      const options = fc.record({
        PasswordLength: fc.integer({ min: 4, max: 256 }),
        // At most 25 letters or punctuation marks: no class of 26 or 32 can be emptied.
        ExcludeCharacters: fc.string({
          unit: fc.constantFrom(...UPPERCASE, ...LOWERCASE, ...PUNCTUATION, ' '),
          maxLength: 25,
        }),
        ExcludeNumbers: fc.boolean(),
        ExcludePunctuation: fc.boolean(),
        ExcludeUppercase: fc.constant(false),
        ExcludeLowercase: fc.boolean(),
        IncludeSpace: fc.boolean(),
        RequireEachIncludedType: fc.boolean(),
      })
      fc.assert(
        fc.property(options, (input) => {
          expectFollowsRules(generatePassword(input), input)
        }),
        { numRuns: 300 }
      )
    })
  })

  describe('validation', () => {
    it.each([0, -1, -4096])('refuses PasswordLength %s', (PasswordLength) => {
      expectInvalidParameter(
        () => generatePassword({ PasswordLength }),
        `1 validation error detected: Value '${PasswordLength}' at 'passwordLength' failed to satisfy constraint: Member must have value greater than or equal to 1`
      )
    })

    it.each([4097, 1e9])('refuses PasswordLength %s', (PasswordLength) => {
      expectInvalidParameter(
        () => generatePassword({ PasswordLength }),
        /Member must have value less than or equal to 4096$/
      )
    })

    it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY, '32', true, [32]])(
      'refuses a PasswordLength that is not an integer: %s',
      (PasswordLength) => {
        expectInvalidParameter(
          () => generatePassword({ PasswordLength } as unknown as GetRandomPasswordInput),
          'PasswordLength must be an integer from 1 to 4096.'
        )
      }
    )

    it('accepts the bounds 1 and 4096', () => {
      expect(generatePassword({ PasswordLength: 1, RequireEachIncludedType: false })).toHaveLength(
        1
      )
      expect(generatePassword({ PasswordLength: 4096 })).toHaveLength(4096)
    })

    it('refuses ExcludeCharacters over 4096 characters, counted in code points', () => {
      const tooLong =
        /^1 validation error detected: Value at 'excludeCharacters' failed to satisfy constraint: Member must have length less than or equal to 4096$/
      expectInvalidParameter(
        () => generatePassword({ ExcludeCharacters: '~'.repeat(4097) }),
        tooLong
      )
      expectInvalidParameter(
        () => generatePassword({ ExcludeCharacters: '😀'.repeat(4097) }),
        tooLong
      )
      expect(generatePassword({ ExcludeCharacters: '~'.repeat(4096) })).not.toContain('~')
      // 4096 emoji are 8192 UTF-16 units but 4096 characters.
      expect(generatePassword({ ExcludeCharacters: '😀'.repeat(4096) })).toHaveLength(32)
    })

    it('refuses members of the wrong JSON type', () => {
      expectInvalidParameter(
        () => generatePassword({ ExcludeCharacters: 42 } as unknown as GetRandomPasswordInput),
        'ExcludeCharacters must be a string.'
      )
      expectInvalidParameter(
        () => generatePassword({ ExcludeNumbers: 'yes' } as unknown as GetRandomPasswordInput),
        'ExcludeNumbers must be a boolean.'
      )
      expectInvalidParameter(
        () => generatePassword({ RequireEachIncludedType: 0 } as unknown as GetRandomPasswordInput),
        'RequireEachIncludedType must be a boolean.'
      )
    })

    it('reports a type error before a semantic one', () => {
      const input = { ExcludeCharacters: DIGITS, IncludeSpace: 'no' }
      expectInvalidParameter(
        () => generatePassword(input as unknown as GetRandomPasswordInput),
        'IncludeSpace must be a boolean.'
      )
    })
  })

  describe('character selection', () => {
    const noClasses = {
      ExcludeUppercase: true,
      ExcludeLowercase: true,
      ExcludeNumbers: true,
      ExcludePunctuation: true,
    }

    it('refuses when no character is left', () => {
      const message = 'All characters have been excluded from selection.'
      expectInvalidParameter(() => generatePassword(noClasses), message)
      expectInvalidParameter(
        () => generatePassword({ ...noClasses, IncludeSpace: true, ExcludeCharacters: ' ' }),
        message
      )
      expectInvalidParameter(
        () =>
          generatePassword({
            ExcludeCharacters: DEFAULT_ALPHABET,
            RequireEachIncludedType: false,
          }),
        message
      )
    })

    it('makes a password of spaces when the space is all that is left', () => {
      expect(generatePassword({ ...noClasses, IncludeSpace: true, PasswordLength: 5 })).toBe(
        '     '
      )
    })

    it('refuses a required class whose every character is excluded', () => {
      expectInvalidParameter(
        () => generatePassword({ ExcludeCharacters: PUNCTUATION }),
        'All characters of the desired type have been excluded.'
      )
    })

    it('drops an emptied class when it is not required, or when its switch excludes it', () => {
      for (const input of [
        { ExcludeCharacters: DIGITS, RequireEachIncludedType: false, PasswordLength: 200 },
        { ExcludeCharacters: DIGITS, ExcludeNumbers: true, PasswordLength: 200 },
      ]) {
        const password = generatePassword(input)
        expect(password).toMatch(/^[^0-9]{200}$/)
        expectFollowsRules(password, input)
      }
    })

    it('ignores excluded characters that belong to no class', () => {
      expectFollowsRules(generatePassword({ ExcludeCharacters: 'é😀\n' }), {})
    })

    it('admits the space only with IncludeSpace, and never requires it', () => {
      const random = seeded(3)
      expect(generatePassword({ PasswordLength: 4096 }, random)).not.toContain(' ')
      expect(generatePassword({ PasswordLength: 4096, IncludeSpace: true }, random)).toContain(' ')
      // Four classes fit in four characters: the space does not count as a fifth required type.
      const password = generatePassword({ PasswordLength: 4, IncludeSpace: true }, random)
      expectFollowsRules(password, { PasswordLength: 4, IncludeSpace: true })
    })
  })

  describe('RequireEachIncludedType', () => {
    it('refuses a length below the number of required classes', () => {
      const message = 'Password length is too short based on the required types.'
      expectInvalidParameter(() => generatePassword({ PasswordLength: 3 }), message)
      expectInvalidParameter(
        () => generatePassword({ PasswordLength: 1, ExcludeNumbers: true }),
        message
      )
    })

    it('fits every required class into a password exactly as long as their number', () => {
      fc.assert(
        fc.property(fc.integer(), (seed) => {
          const four = generatePassword({ PasswordLength: 4 }, seeded(seed))
          expectFollowsRules(four, { PasswordLength: 4 })
          const three = { PasswordLength: 3, ExcludePunctuation: true }
          expectFollowsRules(generatePassword(three, seeded(seed)), three)
        })
      )
    })

    it('allows any length when turned off', () => {
      const input = { PasswordLength: 1, RequireEachIncludedType: false }
      expect(generatePassword(input)).toMatch(/^[\s\S]$/)
    })

    it('does not favour any position for the required characters', () => {
      // If the required characters went to fixed slots (moto puts them at the end), the digit and
      // punctuation counts at those slots would stand out by thousands.
      const random = seeded(11)
      const length = 8
      const samples = 20_000
      const digitsAt = new Array<number>(length).fill(0)
      const punctuationAt = new Array<number>(length).fill(0)
      for (let n = 0; n < samples; n++) {
        const password = generatePassword({ PasswordLength: length }, random)
        for (let i = 0; i < length; i++) {
          const c = password.charAt(i)
          if (DIGITS.includes(c)) digitsAt[i] = (digitsAt[i] ?? 0) + 1
          if (PUNCTUATION.includes(c)) punctuationAt[i] = (punctuationAt[i] ?? 0) + 1
        }
      }
      // 7 degrees of freedom: 40 is the 1e-6 tail, and the fixed seed makes the verdict stable.
      expect(chiSquare(digitsAt)).toBeLessThan(40)
      expect(chiSquare(punctuationAt)).toBeLessThan(40)
    })
  })

  describe('uniformity', () => {
    const digitsOnly = {
      ExcludeUppercase: true,
      ExcludeLowercase: true,
      ExcludePunctuation: true,
      RequireEachIncludedType: false,
    }

    it('rejects random values at or above the largest multiple of the alphabet size', () => {
      // 2^32 = 429,496,729 × 10 + 6, so 4294967290..4294967295 would make 0–5 too likely if taken
      // modulo 10. The generator must skip them: 4294967295 % 10 would give '5'.
      const random = scripted([0xffffffff, 4294967290, 4294967289])
      expect(generatePassword({ ...digitsOnly, PasswordLength: 1 }, random)).toBe('9')
    })

    it('keeps the values below the limit, in order', () => {
      const random = scripted([0xffffffff, 1, 4294967290, 2, 4294967293, 3])
      expect(generatePassword({ ...digitsOnly, PasswordLength: 3 }, random)).toBe('123')
    })

    it('fetches another batch when a whole batch is rejected', () => {
      const random = scripted([], 0xffffffff)
      let call = 0
      const seam: Seam = (array) => {
        call++
        return call === 1 ? random(array) : array.fill(7)
      }
      expect(generatePassword({ ...digitsOnly, PasswordLength: 2 }, seam)).toBe('77')
      expect(call).toBe(2)
    })

    it('spreads characters evenly over the alphabet (seeded)', () => {
      const random = seeded(5)
      const counts = new Map<string, number>([...DEFAULT_ALPHABET].map((c) => [c, 0]))
      for (let n = 0; n < 50; n++) {
        const password = generatePassword(
          { PasswordLength: 4096, RequireEachIncludedType: false },
          random
        )
        for (const c of password) counts.set(c, (counts.get(c) ?? 0) + 1)
      }
      expect(counts.size).toBe(94)
      // 93 degrees of freedom: mean 93, standard deviation about 13.6.
      expect(chiSquare([...counts.values()])).toBeLessThan(180)
    })

    it('spreads characters evenly with the default crypto source', () => {
      const counts = new Array<number>(10).fill(0)
      for (let n = 0; n < 25; n++) {
        for (const c of generatePassword({ ...digitsOnly, PasswordLength: 4096 })) {
          const digit = Number(c)
          counts[digit] = (counts[digit] ?? 0) + 1
        }
      }
      // 9 degrees of freedom; 90 is the 2e-15 tail, so a correct generator does not fail this.
      expect(chiSquare(counts)).toBeLessThan(90)
    })
  })

  describe('random batches', () => {
    it('generates a 4096-character password with every class', () => {
      const password = generatePassword({ PasswordLength: 4096 })
      expect(password).toHaveLength(4096)
      expectFollowsRules(password, { PasswordLength: 4096 })
    })

    it('asks for random values in one batch, within the getRandomValues quota', () => {
      const random = counting(seeded(9))
      generatePassword({ PasswordLength: 4096, IncludeSpace: true }, random)
      expect(random.calls).toHaveLength(1)
      expect(random.calls[0]).toBeLessThanOrEqual(MAX_UINT32_PER_CALL)
      expect(random.calls[0]).toBeGreaterThanOrEqual(4096)
    })

    it('works with crypto.getRandomValues passed in directly', () => {
      expect(generatePassword({}, (array) => crypto.getRandomValues(array))).toHaveLength(32)
    })
  })
})
