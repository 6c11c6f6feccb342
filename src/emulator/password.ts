import { invalidParameter } from './errors.js'

/**
 * The GetRandomPassword request, with the AWS wire names so the parsed JSON body passes straight in.
 * `null` members are treated as absent, as the service's JSON deserializer does.
 */
export interface GetRandomPasswordInput {
  /**
   * Password length, an integer from 1 to 4096.
   * @default 32
   */
  PasswordLength?: number
  /**
   * Characters that must not appear in the password (at most 4096).
   * @default ''
   */
  ExcludeCharacters?: string
  /**
   * Leave out the digits 0–9.
   * @default false
   */
  ExcludeNumbers?: boolean
  /**
   * Leave out the 32 punctuation characters ``!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~``.
   * @default false
   */
  ExcludePunctuation?: boolean
  /**
   * Leave out A–Z.
   * @default false
   */
  ExcludeUppercase?: boolean
  /**
   * Leave out a–z.
   * @default false
   */
  ExcludeLowercase?: boolean
  /**
   * Allow the space character. It is allowed, never required.
   * @default false
   */
  IncludeSpace?: boolean
  /**
   * Put at least one character of every included class (uppercase, lowercase, digits, punctuation)
   * into the password.
   * @default true
   */
  RequireEachIncludedType?: boolean
}

const DEFAULT_PASSWORD_LENGTH = 32
const MAX_PASSWORD_LENGTH = 4096
const MAX_EXCLUDE_CHARACTERS = 4096
// crypto.getRandomValues throws QuotaExceededError above 65,536 bytes, i.e. 16,384 Uint32 values.
const MAX_RANDOM_BATCH = 16_384
// A few spare values per batch, so the rare rejected draw does not cost a second call.
const RANDOM_BATCH_SLACK = 8
const UINT32_RANGE = 2 ** 32

// The service's punctuation set, as listed under ExcludePunctuation in the API reference
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html).
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'

const CHARACTER_CLASSES = [
  { switch: 'ExcludeUppercase', characters: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' },
  { switch: 'ExcludeLowercase', characters: 'abcdefghijklmnopqrstuvwxyz' },
  { switch: 'ExcludeNumbers', characters: '0123456789' },
  { switch: 'ExcludePunctuation', characters: PUNCTUATION },
] as const

const BOOLEAN_MEMBERS = [
  'ExcludeNumbers',
  'ExcludePunctuation',
  'ExcludeUppercase',
  'ExcludeLowercase',
  'IncludeSpace',
  'RequireEachIncludedType',
] as const

type BooleanMember = (typeof BOOLEAN_MEMBERS)[number]

// The DOM lib types getRandomValues as taking only ArrayBuffer-backed views. Our batch is one, and a
// seam written as `(array: Uint32Array) => Uint32Array` still fits this narrower parameter.
type RandomFill = (array: Uint32Array<ArrayBuffer>) => Uint32Array

/**
 * Generates a password the way Secrets Manager's GetRandomPassword does. Every character is drawn
 * uniformly (rejection sampling, no modulo bias), and the characters that satisfy
 * `RequireEachIncludedType` sit at uniformly random positions.
 *
 * @param input The request body. Members are checked here too, so malformed JSON types are refused.
 * @param random Fills a Uint32Array with random values and returns it. Defaults to
 *   `crypto.getRandomValues`; a seam for tests. It is called with at most 16,384 values at a time.
 * @returns The password (the response's `RandomPassword`).
 * @throws {AwsServiceError} `InvalidParameterException` when `PasswordLength` is not an integer
 *   from 1 to 4096, `ExcludeCharacters` is longer than 4096 characters, a member has the wrong
 *   type, a required class has every character excluded, no character is left at all, or the
 *   length is smaller than the number of required classes.
 *
 * @example
 * ```ts
 * const RandomPassword = generatePassword({ PasswordLength: 20, ExcludeCharacters: '"\'\\/@' })
 * ```
 */
export function generatePassword(
  input: GetRandomPasswordInput,
  random: (array: Uint32Array<ArrayBuffer>) => Uint32Array = (array) =>
    crypto.getRandomValues(array)
): string {
  // Check every member's type before any semantic rule, so a malformed request always gets the
  // type error rather than whichever semantic error happens to come first.
  const length = readPasswordLength(input.PasswordLength)
  const excluded = new Set(readExcludeCharacters(input.ExcludeCharacters))
  const flags = readBooleanMembers(input)

  const requireEach = flags.RequireEachIncludedType ?? true
  const required: string[] = []
  let alphabet = ''
  for (const characterClass of CHARACTER_CLASSES) {
    if (flags[characterClass.switch] === true) continue
    const allowed = [...characterClass.characters].filter((c) => !excluded.has(c)).join('')
    // The service refuses rather than silently dropping a class it was told to require: CDK users
    // whose ExcludeCharacters removed every punctuation character hit exactly this message.
    if (requireEach && allowed === '') {
      throw invalidParameter('All characters of the desired type have been excluded.')
    }
    if (requireEach) required.push(allowed)
    alphabet += allowed
  }
  // Space is admitted, never required: the model documents RequireEachIncludedType as "at least
  // one upper and lowercase letter, one number, and one punctuation", with no space. (moto does
  // require a space; we follow the model.) So it does not count towards the minimum length either.
  if (flags.IncludeSpace === true && !excluded.has(' ')) alphabet += ' '
  if (alphabet === '') throw invalidParameter('All characters have been excluded from selection.')
  if (length < required.length) {
    throw invalidParameter('Password length is too short based on the required types.')
  }

  const nextIndex = createIndexSource(random, length + required.length)
  const characters: string[] = []
  for (let i = required.length; i < length; i++) {
    characters.push(alphabet.charAt(nextIndex(alphabet.length)))
  }
  // Inserting each required character at a uniformly random slot gives the same distribution as
  // "append them, then Fisher–Yates shuffle": the other characters are independent and identically
  // distributed, so only where the required ones land matters, and sequential uniform insertion
  // makes every arrangement of them equally likely. It also needs k draws instead of length - 1.
  for (const allowed of required) {
    const character = allowed.charAt(nextIndex(allowed.length))
    characters.splice(nextIndex(characters.length + 1), 0, character)
  }
  return characters.join('')
}

// Smithy's `long` shape admits only integers; the range check mirrors the model's min/max, with
// the service's Coral-style validation text.
function readPasswordLength(value: unknown): number {
  if (value == null) return DEFAULT_PASSWORD_LENGTH
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalidParameter('PasswordLength must be an integer from 1 to 4096.')
  }
  if (value < 1) {
    throw invalidParameter(
      `1 validation error detected: Value '${value}' at 'passwordLength' failed to satisfy constraint: Member must have value greater than or equal to 1`
    )
  }
  if (value > MAX_PASSWORD_LENGTH) {
    throw invalidParameter(
      `1 validation error detected: Value '${value}' at 'passwordLength' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PASSWORD_LENGTH}`
    )
  }
  return value
}

// Smithy measures string length in Unicode code points, so count those, not UTF-16 units. The
// value is not echoed: 4,000-odd characters make a useless message.
function readExcludeCharacters(value: unknown): string[] {
  if (value == null) return []
  if (typeof value !== 'string') throw invalidParameter('ExcludeCharacters must be a string.')
  const tooLong = () =>
    invalidParameter(
      `1 validation error detected: Value at 'excludeCharacters' failed to satisfy constraint: Member must have length less than or equal to ${MAX_EXCLUDE_CHARACTERS}`
    )
  // A code point takes at most two UTF-16 units, so a longer string cannot fit; refuse it before
  // spreading a possibly huge request body into an array.
  if (value.length > 2 * MAX_EXCLUDE_CHARACTERS) throw tooLong()
  const characters = [...value]
  if (characters.length > MAX_EXCLUDE_CHARACTERS) throw tooLong()
  return characters
}

function readBooleanMembers(
  input: GetRandomPasswordInput
): Partial<Record<BooleanMember, boolean>> {
  const flags: Partial<Record<BooleanMember, boolean>> = {}
  for (const member of BOOLEAN_MEMBERS) {
    const value: unknown = input[member]
    if (value == null) continue
    if (typeof value !== 'boolean') throw invalidParameter(`${member} must be a boolean.`)
    flags[member] = value
  }
  return flags
}

// Returns a function drawing uniform integers in [0, bound). Random values are fetched in batches
// sized to the expected number of draws, so a 4096-character password costs one getRandomValues
// call instead of thousands.
function createIndexSource(random: RandomFill, expectedDraws: number): (bound: number) => number {
  const batch = new Uint32Array(Math.min(MAX_RANDOM_BATCH, expectedDraws + RANDOM_BATCH_SLACK))
  let values: Uint32Array = batch
  let next = values.length
  return (bound) => {
    // `value % bound` alone favours the low indices whenever bound does not divide 2^32 (94 does
    // not). Values at or above the largest multiple of bound are rejected and drawn again.
    const limit = UINT32_RANGE - (UINT32_RANGE % bound)
    for (;;) {
      if (next >= values.length) {
        values = random(batch)
        next = 0
        if (values.length === 0) throw new Error('random returned no values')
      }
      const value = values[next++]
      if (value !== undefined && value < limit) return value % bound
    }
  }
}
