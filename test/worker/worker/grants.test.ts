// Unit tests of the grant list (parse, authenticate, expiry, patterns, tokens) and of secret ids
// (canonical names, ARN scope), run in workerd as the worker runs them.
import { describe, expect, it } from 'vitest'
import { WorkerError } from '../../../src/worker/errors.js'
import {
  authenticate,
  coversName,
  createToken,
  type Grant,
  hashToken,
  isExpired,
  parseGrants,
} from '../../../src/worker/grants.js'
import {
  type ArnScope,
  isCanonicalName,
  partitionOf,
  resolveSecretId,
} from '../../../src/worker/secret-id.js'
import { testToken } from './harness.js'

const HASH_A = 'a'.repeat(64)
const HASH_B = 'b'.repeat(64)

function grant(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'app',
    tokenSha256: [HASH_A],
    actions: ['read'],
    secrets: ['app/*'],
    ...overrides,
  }
}

function pattern(...secrets: string[]): Grant {
  return { name: 'g', tokenSha256: [HASH_A], actions: ['read'], secrets }
}

describe('parseGrants', () => {
  it('accepts the JSON text and the parsed value alike', () => {
    const list = [grant({ expiresAt: '2027-01-31T00:00:00Z' })]
    const fromText = parseGrants(JSON.stringify(list))
    const fromValue = parseGrants(list)
    expect(fromText.grants).toEqual(fromValue.grants)
    expect(fromText.grants[0]).toEqual({
      name: 'app',
      tokenSha256: [HASH_A],
      actions: ['read'],
      secrets: ['app/*'],
      expiresAt: '2027-01-31T00:00:00Z',
    })
  })

  it('accepts an empty list (which the worker then refuses to serve with)', () => {
    expect(parseGrants('[]').grants).toEqual([])
  })

  it('keeps one hash entry per token hash, each pointing at its grant', () => {
    const set = parseGrants([
      grant({ name: 'one', tokenSha256: [HASH_A, HASH_B] }),
      grant({ name: 'two', tokenSha256: ['c'.repeat(64)] }),
    ])
    expect(set.hashes.map((h) => h.grant.name)).toEqual(['one', 'one', 'two'])
    expect(set.hashes[0]?.bytes).toEqual(new Uint8Array(32).fill(0xaa))
  })

  it('copies the grants, so changing the input later changes nothing', () => {
    const input = grant()
    const set = parseGrants([input])
    ;(input.secrets as string[]).push('other/*')
    expect(set.grants[0]?.secrets).toEqual(['app/*'])
  })

  it.each([
    ['2027-01-31'],
    ['2027-01-31T00:00Z'],
    ['2027-01-31T00:00:00Z'],
    ['2027-01-31T00:00:00.123Z'],
    ['2027-01-31T00:00:00+02:00'],
    ['2027-01-31T00:00:00-05:30'],
    ['2028-02-29T00:00:00Z'],
  ])('accepts expiresAt %s', (expiresAt) => {
    expect(parseGrants([grant({ expiresAt })]).grants[0]?.expiresAt).toBe(expiresAt)
  })

  const invalid: [string, unknown, RegExp][] = [
    ['text that is not JSON', '[{"name": "app",', /not valid JSON/],
    ['an object instead of an array', { grants: [] }, /JSON array/],
    ['null', null, /JSON array/],
    ['a JSON string', '"app"', /JSON array/],
    ['a grant that is not an object', ['app'], /grants\[0\] must be an object/],
    ['a grant that is an array', [[]], /grants\[0\] must be an object/],
    ['an unknown member', [grant({ token: 'esk_x' })], /unknown member "token"/],
    ['a misspelt member', [grant({ expires: '2027-01-01' })], /unknown member "expires"/],
    ['a missing name', [grant({ name: undefined })], /name must be/],
    ['an empty name', [grant({ name: '' })], /name must be/],
    ['a name with a space', [grant({ name: 'my app' })], /name must be/],
    ['a name of 129 characters', [grant({ name: 'n'.repeat(129) })], /name must be/],
    [
      'no credential at all',
      [grant({ tokenSha256: undefined })],
      /needs tokenSha256, accessKeyIds/,
    ],
    ['an empty accessKeyIds', [grant({ accessKeyIds: [] })], /accessKeyIds must be/],
    [
      'an accessKeyIds string',
      [grant({ accessKeyIds: 'ESKA01AAAAAAAAAAAAAAAA' })],
      /accessKeyIds must be/,
    ],
    ['an AWS key id', [grant({ accessKeyIds: ['AKIAIOSFODNN7EXAMPLE'] })], /worker-issued key ids/],
    [
      'a key id without a version',
      [grant({ accessKeyIds: ['ESKAAAAAAAAAAAAAAAAAAA'] })],
      /worker-issued/,
    ],
    [
      'a key id in lowercase',
      [grant({ accessKeyIds: ['eska01aaaaaaaaaaaaaaaa'] })],
      /worker-issued/,
    ],
    ['a key id one short', [grant({ accessKeyIds: ['ESKA01AAAAAAAAAAAAAAA'] })], /worker-issued/],
    [
      'a key id with a 1 or 8',
      [grant({ accessKeyIds: ['ESKA01AAAAAAAAAAAAAAA1'] })],
      /worker-issued/,
    ],
    ['an empty tokenSha256', [grant({ tokenSha256: [] })], /tokenSha256 must be/],
    ['a tokenSha256 string', [grant({ tokenSha256: HASH_A })], /tokenSha256 must be/],
    ['an uppercase hash', [grant({ tokenSha256: ['A'.repeat(64)] })], /64 lowercase hex/],
    ['a short hash', [grant({ tokenSha256: ['a'.repeat(63)] })], /64 lowercase hex/],
    ['a long hash', [grant({ tokenSha256: ['a'.repeat(65)] })], /64 lowercase hex/],
    ['a hash with a non-hex digit', [grant({ tokenSha256: [`${'a'.repeat(63)}g`] })], /hex/],
    ['a token in place of a hash', [grant({ tokenSha256: [testToken()] })], /hex/],
    ['no actions', [grant({ actions: undefined })], /actions must be/],
    ['empty actions', [grant({ actions: [] })], /actions must be/],
    ['an unknown action', [grant({ actions: ['read', 'admin'] })], /unknown action "admin"/],
    ['an action in another case', [grant({ actions: ['Read'] })], /unknown action "Read"/],
    ['no secrets', [grant({ secrets: undefined })], /secrets must be an array/],
    ['a secrets string', [grant({ secrets: 'app/*' })], /secrets must be an array/],
    ['the pattern *', [grant({ secrets: ['*'] })], /"\*" is not a secret name/],
    ['the pattern /*', [grant({ secrets: ['/*'] })], /is not a secret name/],
    ['a wildcard inside', [grant({ secrets: ['prod/*/x'] })], /is not a secret name/],
    ['a double wildcard', [grant({ secrets: ['prod/**'] })], /is not a secret name/],
    ['two wildcards', [grant({ secrets: ['prod/*/*'] })], /is not a secret name/],
    ['a wildcard without its slash', [grant({ secrets: ['prod*'] })], /is not a secret name/],
    ['a leading slash', [grant({ secrets: ['/prod/*'] })], /is not a secret name/],
    ['a doubled slash', [grant({ secrets: ['prod//*'] })], /is not a secret name/],
    ['a trailing slash', [grant({ secrets: ['prod/'] })], /is not a secret name/],
    ['a .. segment', [grant({ secrets: ['prod/../*'] })], /is not a secret name/],
    ['a . segment', [grant({ secrets: ['./prod'] })], /is not a secret name/],
    ['an ARN pattern', [grant({ secrets: ['arn:aws:secretsmanager:x'] })], /not a secret name/],
    ['a non-ASCII pattern', [grant({ secrets: ['prod/caf\u00e9'] })], /is not a secret name/],
    ['an empty pattern', [grant({ secrets: [''] })], /is not a secret name/],
    ['an expiresAt number', [grant({ expiresAt: 1798761600000 })], /expiresAt must be/],
    ['an expiresAt in words', [grant({ expiresAt: 'next year' })], /expiresAt must be/],
    ['an expiresAt without a zone', [grant({ expiresAt: '2027-01-01T00:00:00' })], /expiresAt/],
    ['an expiresAt of month 13', [grant({ expiresAt: '2027-13-01' })], /expiresAt must be/],
    ['an expiresAt of February 30', [grant({ expiresAt: '2028-02-30' })], /expiresAt must be/],
    ['an expiresAt of April 31', [grant({ expiresAt: '2027-04-31T00:00:00Z' })], /expiresAt/],
    ['an expiresAt of hour 25', [grant({ expiresAt: '2027-01-01T25:00:00Z' })], /expiresAt/],
    ['a repeated name', [grant(), grant({ tokenSha256: [HASH_B] })], /name "app" is repeated/],
    ['a hash repeated across grants', [grant(), grant({ name: 'other' })], /hash .* repeated/],
    ['a hash repeated in one grant', [grant({ tokenSha256: [HASH_A, HASH_A] })], /repeated/],
    [
      'a key id repeated across grants',
      [
        grant({ accessKeyIds: ['ESKA01AAAAAAAAAAAAAAAA'] }),
        grant({ name: 'other', tokenSha256: [HASH_B], accessKeyIds: ['ESKA01AAAAAAAAAAAAAAAA'] }),
      ],
      /access key id ESKA01AAAAAAAAAAAAAAAA is repeated/,
    ],
  ]
  it.each(invalid)('refuses the whole list for %s', (_label, config, message) => {
    expect(() => parseGrants(config)).toThrow(TypeError)
    expect(() => parseGrants(config)).toThrow(message)
  })

  it('takes a grant with AWS keys only, or with both kinds of credential', () => {
    const keysOnly = {
      ...grant({ tokenSha256: undefined }),
      accessKeyIds: ['ESKA02ABCDEFGHIJKLMNOP'],
    }
    const both = grant({
      name: 'both',
      tokenSha256: [HASH_B],
      accessKeyIds: ['ESKA01QRSTUVWXYZ234567'],
    })
    const set = parseGrants([keysOnly, both])
    expect(set.keyIds.get('ESKA02ABCDEFGHIJKLMNOP')?.name).toBe('app')
    expect(set.keyIds.get('ESKA01QRSTUVWXYZ234567')?.name).toBe('both')
    expect(set.hashes.map((h) => h.grant.name)).toEqual(['both'])
    expect(set.grants[0]).not.toHaveProperty('tokenSha256')
  })

  it('refuses the list when a later grant is invalid, even if earlier ones are fine', () => {
    expect(() =>
      parseGrants([grant(), grant({ name: 'b', tokenSha256: [HASH_B], secrets: ['*'] })])
    ).toThrow(TypeError)
  })

  it('never quotes a hash in its message', () => {
    try {
      parseGrants([grant(), grant({ name: 'other' })])
      expect.unreachable()
    } catch (error) {
      expect(String(error)).not.toContain(HASH_A)
    }
  })
})

describe('authenticate', () => {
  async function setOf(entries: { name: string; tokens: string[] }[]) {
    return parseGrants(
      await Promise.all(
        entries.map(async ({ name, tokens }) =>
          grant({ name, tokenSha256: await Promise.all(tokens.map(hashToken)) })
        )
      )
    )
  }

  it('picks the grant of each token among many', async () => {
    const entries = Array.from({ length: 40 }, (_, i) => ({
      name: `grant-${i}`,
      tokens: [testToken(`t${i}`)],
    }))
    const set = await setOf(entries)
    for (const { name, tokens } of entries) {
      expect((await authenticate(set, tokens[0] as string))?.name).toBe(name)
    }
  })

  it('accepts both tokens of a grant being rotated, and no third', async () => {
    const [old, fresh] = [testToken('old'), testToken('new')]
    const set = await setOf([
      { name: 'first', tokens: [testToken()] },
      { name: 'rotating', tokens: [old, fresh] },
      { name: 'last', tokens: [testToken()] },
    ])
    expect((await authenticate(set, old))?.name).toBe('rotating')
    expect((await authenticate(set, fresh))?.name).toBe('rotating')
    expect(await authenticate(set, testToken('third'))).toBeUndefined()
  })

  it('finds the last grant of the list as well as the first', async () => {
    const first = testToken()
    const last = testToken()
    const set = await setOf([
      { name: 'first', tokens: [first] },
      ...Array.from({ length: 10 }, (_, i) => ({ name: `mid-${i}`, tokens: [testToken()] })),
      { name: 'last', tokens: [last] },
    ])
    expect((await authenticate(set, first))?.name).toBe('first')
    expect((await authenticate(set, last))?.name).toBe('last')
  })

  it('matches no grant in an empty list', async () => {
    expect(await authenticate(parseGrants([]), testToken())).toBeUndefined()
  })

  const token = `esk_${'A'.repeat(40)}`
  it.each([
    ['the token without its prefix', token.slice(4)],
    ['another prefix', `esx_${'A'.repeat(40)}`],
    ['the prefix in capitals', `ESK_${'A'.repeat(40)}`],
    ['a token with a space', `${token} `],
    ['a leading space', ` ${token}`],
    ['a token with an = (base64 padding)', `${token}=`],
    ['a token with a +', `${token}+`],
    ['a token with a non-ASCII letter', `${token}\u00e9`],
    ['the empty string', ''],
    ['the prefix alone', 'esk_'],
  ])('refuses %s even when its hash is granted', async (_label, candidate) => {
    // A grant holding the hash of exactly this string: only the shape check refuses it.
    const granted = parseGrants([grant({ tokenSha256: [await hashToken(candidate)] })])
    expect(await authenticate(granted, candidate)).toBeUndefined()
  })

  it('takes tokens of 32 to 256 characters after the prefix', async () => {
    const shortest = `esk_${'a'.repeat(32)}`
    const longest = `esk_${'a'.repeat(256)}`
    const set = parseGrants([
      grant({ name: 'short', tokenSha256: [await hashToken(shortest)] }),
      grant({ name: 'long', tokenSha256: [await hashToken(longest)] }),
      grant({ name: 'too-short', tokenSha256: [await hashToken(`esk_${'a'.repeat(31)}`)] }),
      grant({ name: 'too-long', tokenSha256: [await hashToken(`esk_${'a'.repeat(257)}`)] }),
    ])
    expect((await authenticate(set, shortest))?.name).toBe('short')
    expect((await authenticate(set, longest))?.name).toBe('long')
    expect(await authenticate(set, `esk_${'a'.repeat(31)}`)).toBeUndefined()
    expect(await authenticate(set, `esk_${'a'.repeat(257)}`)).toBeUndefined()
  })

  it('is case-sensitive', async () => {
    const token = `esk_${'abcdEFGH'.repeat(5)}`
    const set = await setOf([{ name: 'app', tokens: [token] }])
    expect(await authenticate(set, token.toUpperCase().replace('ESK_', 'esk_'))).toBeUndefined()
    expect(await authenticate(set, token.toLowerCase())).toBeUndefined()
  })
})

describe('isExpired', () => {
  const at = (expiresAt?: string): Grant => ({
    ...pattern('app/*'),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  })
  const t = Date.parse('2027-01-31T00:00:00Z')

  it('is never expired without expiresAt', () => {
    expect(isExpired(at(), Number.MAX_SAFE_INTEGER)).toBe(false)
  })

  it('is in force until the instant, and expired from it on', () => {
    expect(isExpired(at('2027-01-31T00:00:00Z'), t - 1)).toBe(false)
    expect(isExpired(at('2027-01-31T00:00:00Z'), t)).toBe(true)
    expect(isExpired(at('2027-01-31T00:00:00Z'), t + 1)).toBe(true)
  })

  it('reads a zone offset', () => {
    // 01:00 at +01:00 is midnight UTC.
    expect(isExpired(at('2027-01-31T01:00:00+01:00'), t - 1)).toBe(false)
    expect(isExpired(at('2027-01-31T01:00:00+01:00'), t)).toBe(true)
  })

  it('reads a date alone as midnight UTC', () => {
    expect(isExpired(at('2027-01-31'), t - 1)).toBe(false)
    expect(isExpired(at('2027-01-31'), t)).toBe(true)
  })
})

describe('coversName', () => {
  it.each([
    ['team-a/*', 'team-a/x', true],
    ['team-a/*', 'team-a/x/y', true],
    ['team-a/*', 'team-a/x/y/z/w', true],
    ['team-a/*', 'team-a/-', true],
    ['team-a/*', 'team-a', false],
    ['team-a/*', 'team-a-other/x', false],
    ['team-a/*', 'team-ab/x', false],
    ['team-a/*', 'TEAM-A/x', false],
    ['team-a/*', 'Team-a/x', false],
    ['team-a/*', 'x/team-a/y', false],
    ['team-a/*', 'team-b/secret', false],
    ['a/b/*', 'a/b/c', true],
    ['a/b/*', 'a/bc/d', false],
    ['a/b/*', 'a/b', false],
    ['team-a/db', 'team-a/db', true],
    ['team-a/db', 'team-a/db/x', false],
    ['team-a/db', 'team-a/d', false],
    ['team-a/db', 'team-a/dbx', false],
    ['team-a/db', 'team-a/db-AbCdEf', false],
    ['team-a/db', 'TEAM-A/DB', false],
    ['solo', 'solo', true],
    ['solo', 'solo/x', false],
  ])('%s covers %s: %s', (p, name, expected) => {
    expect(coversName(pattern(p), name)).toBe(expected)
  })

  it('covers a name when any pattern does', () => {
    const g = pattern('team-a/db', 'team-c/*')
    expect(coversName(g, 'team-a/db')).toBe(true)
    expect(coversName(g, 'team-c/x')).toBe(true)
    expect(coversName(g, 'team-a/x')).toBe(false)
  })

  it('covers nothing without patterns', () => {
    expect(coversName(pattern(), 'team-a/x')).toBe(false)
  })
})

describe('hashToken and createToken', () => {
  it('hashes to lowercase hex SHA-256', async () => {
    // FIPS 180-2's test vector for "abc".
    expect(await hashToken('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    )
  })

  it('makes a token of the accepted shape whose hash authenticates it', async () => {
    const { token, tokenSha256 } = await createToken()
    expect(token).toMatch(/^esk_[A-Za-z0-9_-]{43}$/)
    expect(tokenSha256).toBe(await hashToken(token))
    const set = parseGrants([grant({ tokenSha256: [tokenSha256] })])
    expect((await authenticate(set, token))?.name).toBe('app')
  })

  it('makes a different token each time', async () => {
    const tokens = new Set(
      await Promise.all(Array.from({ length: 20 }, async () => (await createToken()).token))
    )
    expect(tokens.size).toBe(20)
  })
})

describe('isCanonicalName', () => {
  it.each([
    'a',
    'prod/app/db',
    'A-Z_a-z.0-9+=@',
    'team-a/x',
    'x'.repeat(512),
    'a/.b/c.',
    'a/..b/...',
  ])('accepts %s', (name) => {
    expect(isCanonicalName(name)).toBe(true)
  })

  it.each([
    ['empty', ''],
    ['513 characters', 'x'.repeat(513)],
    ['a leading slash', '/a'],
    ['a trailing slash', 'a/'],
    ['a doubled slash', 'a//b'],
    ['a lone slash', '/'],
    ['a . segment', 'a/./b'],
    ['a .. segment', 'a/../b'],
    ['a leading ..', '../b'],
    ['a trailing ..', 'a/..'],
    ['only .', '.'],
    ['only ..', '..'],
    ['a space', 'a b'],
    ['a colon', 'a:b'],
    ['a percent sign', 'a%2Fb'],
    ['a backslash', 'a\\b'],
    ['a star', 'a/*'],
    ['a NUL', 'a\u0000b'],
    ['a newline', 'a\nb'],
    ['a fullwidth solidus', 'team-a\uff0fx'],
    ['a division slash', 'team-a\u2215x'],
    ['a Cyrillic a', 'te\u0430m-a/x'],
    ['a combining accent', 'team-a/x\u0301'],
    ['a zero-width space', 'team-a/\u200bx'],
    ['fullwidth letters', '\uff54\uff45\uff41\uff4d-a/x'],
  ])('refuses %s', (_label, name) => {
    expect(isCanonicalName(name)).toBe(false)
  })
})

describe('resolveSecretId', () => {
  const scope = { region: 'us-east-1', accountId: '123456789012' }
  const arn = (resource: string, over: Partial<Record<'p' | 'r' | 'a', string>> = {}) =>
    `arn:${over.p ?? 'aws'}:secretsmanager:${over.r ?? 'us-east-1'}:${over.a ?? '123456789012'}:secret:${resource}`

  function code(raw: string, s: ArnScope = scope): string | undefined {
    try {
      resolveSecretId(raw, s)
      return undefined
    } catch (error) {
      expect(error).toBeInstanceOf(WorkerError)
      return (error as WorkerError).code
    }
  }

  it('takes a name as it is', () => {
    expect(resolveSecretId('team-a/x', scope)).toEqual({ id: 'team-a/x', names: ['team-a/x'] })
  })

  it('answers a partial ARN as its name', () => {
    expect(resolveSecretId(arn('team-a/x'), scope)).toEqual({
      id: 'team-a/x',
      names: ['team-a/x'],
    })
  })

  it('keeps a full ARN, standing for the name with and without its suffix', () => {
    expect(resolveSecretId(arn('team-a/db-AbCdEf'), scope)).toEqual({
      id: arn('team-a/db-AbCdEf'),
      names: ['team-a/db', 'team-a/db-AbCdEf'],
    })
  })

  it('gives one name when the part before the suffix is not a name', () => {
    expect(resolveSecretId(arn('team-a/-AbCdEf'), scope)).toEqual({
      id: arn('team-a/-AbCdEf'),
      names: ['team-a/-AbCdEf'],
    })
  })

  it('takes an ARN of its own partition elsewhere', () => {
    const china = { region: 'cn-north-1', accountId: '123456789012' }
    expect(resolveSecretId(arn('a/x', { p: 'aws-cn', r: 'cn-north-1' }), china).names).toEqual([
      'a/x',
    ])
  })

  it.each([
    ['another account', arn('team-a/x', { a: '999999999999' })],
    ['another region', arn('team-a/x', { r: 'us-west-2' })],
    ['another partition', arn('team-a/x', { p: 'aws-cn' })],
    ['the partition of another region', arn('team-a/x', { p: 'aws-us-gov' })],
    ['an empty account', arn('team-a/x', { a: '' })],
    ['an empty region', arn('team-a/x', { r: '' })],
  ])('refuses an ARN of %s (403)', (_label, raw) => {
    expect(code(raw)).toBe('AccessDeniedException')
  })

  it('refuses every ARN when the account is not configured', () => {
    expect(code(arn('team-a/x'), { region: 'us-east-1', accountId: undefined })).toBe(
      'AccessDeniedException'
    )
    expect(code(arn('team-a/x'), { region: undefined, accountId: '123456789012' })).toBe(
      'AccessDeniedException'
    )
  })

  it.each([
    ['another service', 'arn:aws:ssm:us-east-1:123456789012:secret:team-a/x'],
    ['another resource type', 'arn:aws:secretsmanager:us-east-1:123456789012:parameter:team-a/x'],
    ['a colon in the resource', `${arn('team-a/x')}:extra`],
    ['too few parts', 'arn:aws:secretsmanager:us-east-1:123456789012:secret'],
    ['an empty resource', arn('')],
    ['a .. segment in the resource', arn('team-a/../team-b/secret')],
    ['a doubled slash in the resource', arn('team-a//x')],
    ['a non-ASCII resource', arn('team-a\uff0fx')],
    ['ARN: in capitals', arn('team-a/x').replace('arn:', 'ARN:')],
    ['a bare arn:', 'arn:'],
  ])('refuses an ARN with %s (400)', (_label, raw) => {
    expect(code(raw)).toBe('ValidationException')
  })

  it.each([
    'team-a/../team-b/secret',
    'team-a/./x',
    'team-a//x',
    '/team-a/x',
    'team-a/x/',
    'team-a%2Fx',
    'te\u0430m-a/x',
    'team-a/x\u0000',
  ])('refuses the name %j (400)', (raw) => {
    expect(code(raw)).toBe('ValidationException')
  })
})

describe('partitionOf', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['eu-west-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
    ['eusc-de-east-1', 'aws-eusc'],
  ])('%s is in %s', (region, partition) => {
    expect(partitionOf(region)).toBe(partition)
  })
})
