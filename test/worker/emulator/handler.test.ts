// The emulator's fetch handler running inside workerd: every operation round-trips, the wire
// format (errors, headers, CORS) is the service's, and SigV4 is verified with workerd's own
// crypto.subtle. Each test builds its own in-memory emulator, so tests share no state.
import { describe, expect, it } from 'vitest'
import { createEmulator, type Emulator, EmulatorMemoryStore } from '../../../src/emulator/index.js'
import { call, ok, readResult, signedRequest, TEST_CREDENTIALS, token } from '../../support/call.js'

const ACCOUNT = '123456789012'
const ARN_PATTERN = /^arn:aws:secretsmanager:us-east-1:123456789012:secret:(.+)-([A-Za-z0-9]{6})$/
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS ' +
  'Secret Access Key and signing method. Consult the service documentation for details.'

const toBase64 = (bytes: Uint8Array) => {
  let text = ''
  for (const byte of bytes) text += String.fromCharCode(byte)
  return btoa(text)
}
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
const hex = (buffer: ArrayBuffer) =>
  Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('')

let counter = 0
/** A name unique within this file, so no test depends on another's secrets. */
const uniqueName = (label: string) => `handler/${label}-${++counter}-${crypto.randomUUID()}`

/** Creates a string secret and returns its name, ARN and first VersionId. */
async function createString(emulator: Emulator, label: string, value = `value of ${label}`) {
  const Name = uniqueName(label)
  const created = await ok(emulator, 'CreateSecret', {
    Name,
    SecretString: value,
    ClientRequestToken: token(),
  })
  return { Name, ARN: created.ARN as string, VersionId: created.VersionId as string }
}

/** Sends `request` with its headers but another body, as a proxy that rewrote it would. */
function withBody(request: Request, body: string): Request {
  return new Request(request.url, { method: request.method, headers: request.headers, body })
}

/** A JSON 1.1 response body: output members, or `__type` and `message` for an error. */
type AwsBody = Record<string, unknown>

async function json(response: Response) {
  const { status, headers, body } = await readResult(response)
  return { status, headers, body: body as AwsBody }
}

describe('createEmulator in workerd', () => {
  describe('CreateSecret and GetSecretValue', () => {
    it('round-trips a string secret with the token as its first VersionId', async () => {
      const emulator = createEmulator()
      const Name = uniqueName('string')
      const ClientRequestToken = token()
      const created = await ok(emulator, 'CreateSecret', {
        Name,
        SecretString: '{"user":"admin","password":"pa55 wörd ✓"}',
        ClientRequestToken,
      })
      expect(created.Name).toBe(Name)
      expect(created.VersionId).toBe(ClientRequestToken)
      expect(created.ARN).toMatch(ARN_PATTERN)
      expect(ARN_PATTERN.exec(created.ARN)?.[1]).toBe(Name)

      const read = await ok(emulator, 'GetSecretValue', { SecretId: Name })
      expect(read).toMatchObject({
        ARN: created.ARN,
        Name,
        VersionId: ClientRequestToken,
        SecretString: '{"user":"admin","password":"pa55 wörd ✓"}',
        VersionStages: ['AWSCURRENT'],
      })
      expect(read.SecretBinary).toBeUndefined()
      expect(typeof read.CreatedDate).toBe('number')
    })

    it('finds a secret by its full ARN and by its ARN without the random suffix', async () => {
      const emulator = createEmulator()
      const { Name, ARN } = await createString(emulator, 'by-arn', 'found')
      const partial = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${Name}`
      expect((await ok(emulator, 'GetSecretValue', { SecretId: ARN })).SecretString).toBe('found')
      expect((await ok(emulator, 'GetSecretValue', { SecretId: partial })).SecretString).toBe(
        'found'
      )
    })

    it('gives each secret its own random ARN suffix', async () => {
      const emulator = createEmulator()
      const first = await createString(emulator, 'suffix')
      const second = await createString(emulator, 'suffix')
      const suffix = (arn: string) => ARN_PATTERN.exec(arn)?.[2]
      expect(suffix(first.ARN)).not.toBe(suffix(second.ARN))
    })

    it('round-trips every byte value as SecretBinary', async () => {
      const emulator = createEmulator()
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
      const Name = uniqueName('all-bytes')
      await ok(emulator, 'CreateSecret', {
        Name,
        SecretBinary: toBase64(bytes),
        ClientRequestToken: token(),
      })
      const read = await ok(emulator, 'GetSecretValue', { SecretId: Name })
      expect(read.SecretString).toBeUndefined()
      expect(read.SecretBinary).toBe(toBase64(bytes))
      expect(fromBase64(read.SecretBinary)).toEqual(bytes)
    })

    it('round-trips a 65,536-byte binary, the largest allowed', async () => {
      const emulator = createEmulator()
      const bytes = crypto.getRandomValues(new Uint8Array(65_536))
      const Name = uniqueName('largest-binary')
      await ok(emulator, 'CreateSecret', {
        Name,
        SecretBinary: toBase64(bytes),
        ClientRequestToken: token(),
      })
      const read = await ok(emulator, 'GetSecretValue', { SecretId: Name })
      const back = fromBase64(read.SecretBinary)
      expect(back.byteLength).toBe(65_536)
      expect(back).toEqual(bytes)
    })

    it('refuses a 65,537-byte binary with a ValidationException', async () => {
      const emulator = createEmulator()
      const Name = uniqueName('too-large')
      const result = await call(emulator, 'CreateSecret', {
        Name,
        SecretBinary: toBase64(new Uint8Array(65_537)),
        ClientRequestToken: token(),
      })
      expect(result.status).toBe(400)
      expect(result.body.__type).toBe('ValidationException')
      expect((await call(emulator, 'DescribeSecret', { SecretId: Name })).body.__type).toBe(
        'ResourceNotFoundException'
      )
    })

    it('refuses a duplicate name with ResourceExistsException', async () => {
      const emulator = createEmulator()
      const { Name } = await createString(emulator, 'duplicate', 'first')
      const result = await call(emulator, 'CreateSecret', {
        Name,
        SecretString: 'second',
        ClientRequestToken: token(),
      })
      expect(result.status).toBe(400)
      expect(result.body.__type).toBe('ResourceExistsException')
      expect((await ok(emulator, 'GetSecretValue', { SecretId: Name })).SecretString).toBe('first')
    })

    it('treats a replayed create (same token, same value) as a no-op', async () => {
      const emulator = createEmulator()
      const Name = uniqueName('replayed-create')
      const input = { Name, SecretString: 'once', ClientRequestToken: token() }
      const first = await ok(emulator, 'CreateSecret', input)
      const again = await ok(emulator, 'CreateSecret', input)
      expect(again).toEqual({ ARN: first.ARN, Name, VersionId: input.ClientRequestToken })
      const described = await ok(emulator, 'DescribeSecret', { SecretId: Name })
      expect(described.VersionIdsToStages).toEqual({ [input.ClientRequestToken]: ['AWSCURRENT'] })
    })
  })

  describe('PutSecretValue', () => {
    it('moves AWSCURRENT to the new version and AWSPREVIOUS to the one it left', async () => {
      const emulator = createEmulator()
      const { Name, VersionId: v1 } = await createString(emulator, 'stages', 'one')
      const v2 = token()
      const v3 = token()

      const put2 = await ok(emulator, 'PutSecretValue', {
        SecretId: Name,
        SecretString: 'two',
        ClientRequestToken: v2,
      })
      expect(put2).toMatchObject({ Name, VersionId: v2, VersionStages: ['AWSCURRENT'] })
      expect((await ok(emulator, 'DescribeSecret', { SecretId: Name })).VersionIdsToStages).toEqual(
        { [v1]: ['AWSPREVIOUS'], [v2]: ['AWSCURRENT'] }
      )

      await ok(emulator, 'PutSecretValue', {
        SecretId: Name,
        SecretString: 'three',
        ClientRequestToken: v3,
      })
      // The oldest version loses its last label and drops out of the stage map, but stays readable.
      expect((await ok(emulator, 'DescribeSecret', { SecretId: Name })).VersionIdsToStages).toEqual(
        { [v2]: ['AWSPREVIOUS'], [v3]: ['AWSCURRENT'] }
      )
      const current = await ok(emulator, 'GetSecretValue', { SecretId: Name })
      expect(current).toMatchObject({ SecretString: 'three', VersionId: v3 })
      const previous = await ok(emulator, 'GetSecretValue', {
        SecretId: Name,
        VersionStage: 'AWSPREVIOUS',
      })
      expect(previous).toMatchObject({
        SecretString: 'two',
        VersionId: v2,
        VersionStages: ['AWSPREVIOUS'],
      })
      const oldest = await ok(emulator, 'GetSecretValue', { SecretId: Name, VersionId: v1 })
      expect(oldest).toMatchObject({ SecretString: 'one', VersionStages: [] })
    })

    it('attaches explicit VersionStages without moving AWSCURRENT', async () => {
      const emulator = createEmulator()
      const { Name, VersionId: v1 } = await createString(emulator, 'pending', 'live')
      const pending = token()
      const put = await ok(emulator, 'PutSecretValue', {
        SecretId: Name,
        SecretString: 'next',
        ClientRequestToken: pending,
        VersionStages: ['AWSPENDING'],
      })
      expect(put.VersionStages).toEqual(['AWSPENDING'])
      expect((await ok(emulator, 'GetSecretValue', { SecretId: Name })).SecretString).toBe('live')
      const staged = await ok(emulator, 'GetSecretValue', {
        SecretId: Name,
        VersionStage: 'AWSPENDING',
      })
      expect(staged).toMatchObject({ SecretString: 'next', VersionId: pending })
      expect((await ok(emulator, 'DescribeSecret', { SecretId: Name })).VersionIdsToStages).toEqual(
        { [v1]: ['AWSCURRENT'], [pending]: ['AWSPENDING'] }
      )
    })

    it('round-trips a binary version and keeps the string one as AWSPREVIOUS', async () => {
      const emulator = createEmulator()
      const { Name } = await createString(emulator, 'to-binary', 'text')
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => 255 - i)
      await ok(emulator, 'PutSecretValue', {
        SecretId: Name,
        SecretBinary: toBase64(bytes),
        ClientRequestToken: token(),
      })
      const current = await ok(emulator, 'GetSecretValue', { SecretId: Name })
      expect(current.SecretString).toBeUndefined()
      expect(fromBase64(current.SecretBinary)).toEqual(bytes)
      const previous = await ok(emulator, 'GetSecretValue', {
        SecretId: Name,
        VersionStage: 'AWSPREVIOUS',
      })
      expect(previous.SecretString).toBe('text')
      expect(previous.SecretBinary).toBeUndefined()
    })

    it('treats a replayed token with the same value as a no-op', async () => {
      const emulator = createEmulator()
      const { Name, VersionId: v1 } = await createString(emulator, 'replay-put', 'one')
      const input = { SecretId: Name, SecretString: 'two', ClientRequestToken: token() }
      const first = await ok(emulator, 'PutSecretValue', input)
      const again = await ok(emulator, 'PutSecretValue', input)
      expect(again).toEqual(first)
      // Had the replay made a version, v1 would have lost AWSPREVIOUS.
      expect((await ok(emulator, 'DescribeSecret', { SecretId: Name })).VersionIdsToStages).toEqual(
        { [v1]: ['AWSPREVIOUS'], [input.ClientRequestToken]: ['AWSCURRENT'] }
      )
    })

    it('treats a replayed binary with another base64 spelling of the same bytes as a no-op', async () => {
      const emulator = createEmulator()
      const { Name } = await createString(emulator, 'replay-binary')
      const ClientRequestToken = token()
      const base64 = toBase64(Uint8Array.of(1, 2, 3, 4))
      await ok(emulator, 'PutSecretValue', {
        SecretId: Name,
        SecretBinary: base64,
        ClientRequestToken,
      })
      const again = await call(emulator, 'PutSecretValue', {
        SecretId: Name,
        // Padding dropped: the same four bytes.
        SecretBinary: base64.replace(/=+$/, ''),
        ClientRequestToken,
      })
      expect(again.status).toBe(200)
      expect(again.body.VersionId).toBe(ClientRequestToken)
    })

    it('refuses a replayed token with another value with ResourceExistsException', async () => {
      const emulator = createEmulator()
      const { Name } = await createString(emulator, 'replay-conflict')
      const ClientRequestToken = token()
      await ok(emulator, 'PutSecretValue', {
        SecretId: Name,
        SecretString: 'a',
        ClientRequestToken,
      })
      const result = await call(emulator, 'PutSecretValue', {
        SecretId: Name,
        SecretString: 'b',
        ClientRequestToken,
      })
      expect(result.status).toBe(400)
      expect(result.body.__type).toBe('ResourceExistsException')
      expect((await ok(emulator, 'GetSecretValue', { SecretId: Name })).SecretString).toBe('a')
    })

    it('requires a ClientRequestToken of 32 to 64 characters', async () => {
      const emulator = createEmulator()
      const { Name } = await createString(emulator, 'token-rules')
      const missing = await call(emulator, 'PutSecretValue', { SecretId: Name, SecretString: 'x' })
      expect(missing.body.__type).toBe('InvalidRequestException')
      const short = await call(emulator, 'PutSecretValue', {
        SecretId: Name,
        SecretString: 'x',
        ClientRequestToken: 'a'.repeat(31),
      })
      expect(short.body.__type).toBe('ValidationException')
    })

    it('refuses a VersionStage that does not belong to the VersionId', async () => {
      const emulator = createEmulator()
      const { Name, VersionId } = await createString(emulator, 'mismatch')
      const result = await call(emulator, 'GetSecretValue', {
        SecretId: Name,
        VersionId,
        VersionStage: 'AWSPREVIOUS',
      })
      expect(result.status).toBe(400)
      expect(result.body.__type).toBe('InvalidRequestException')
    })
  })

  describe('UpdateSecret', () => {
    it('changes the description without making a version', async () => {
      const emulator = createEmulator()
      const { Name, VersionId } = await createString(emulator, 'describe-only', 'same')
      const updated = await ok(emulator, 'UpdateSecret', { SecretId: Name, Description: 'new' })
      expect(updated.VersionId).toBeUndefined()
      const described = await ok(emulator, 'DescribeSecret', { SecretId: Name })
      expect(described.Description).toBe('new')
      expect(described.VersionIdsToStages).toEqual({ [VersionId]: ['AWSCURRENT'] })
    })

    it('makes a new AWSCURRENT version when given a value', async () => {
      const emulator = createEmulator()
      const { Name, VersionId: v1 } = await createString(emulator, 'update-value', 'old')
      const v2 = token()
      const updated = await ok(emulator, 'UpdateSecret', {
        SecretId: Name,
        SecretString: 'new',
        ClientRequestToken: v2,
      })
      expect(updated.VersionId).toBe(v2)
      expect((await ok(emulator, 'GetSecretValue', { SecretId: Name })).SecretString).toBe('new')
      expect((await ok(emulator, 'DescribeSecret', { SecretId: Name })).VersionIdsToStages).toEqual(
        { [v1]: ['AWSPREVIOUS'], [v2]: ['AWSCURRENT'] }
      )
    })

    it('refuses both SecretString and SecretBinary', async () => {
      const emulator = createEmulator()
      const { Name } = await createString(emulator, 'both-values', 'kept')
      const result = await call(emulator, 'UpdateSecret', {
        SecretId: Name,
        SecretString: 'x',
        SecretBinary: toBase64(Uint8Array.of(1)),
        ClientRequestToken: token(),
      })
      expect(result.body.__type).toBe('InvalidParameterException')
      expect((await ok(emulator, 'GetSecretValue', { SecretId: Name })).SecretString).toBe('kept')
    })
  })

  describe('DescribeSecret', () => {
    it('describes metadata and tags without the value', async () => {
      const emulator = createEmulator()
      const Name = uniqueName('described')
      const VersionId = token()
      const created = await ok(emulator, 'CreateSecret', {
        Name,
        Description: 'database password',
        Tags: [{ Key: 'team', Value: 'edge' }],
        SecretString: 'hidden',
        ClientRequestToken: VersionId,
      })
      const described = await ok(emulator, 'DescribeSecret', { SecretId: created.ARN })
      expect(described).toMatchObject({
        ARN: created.ARN,
        Name,
        Description: 'database password',
        Tags: [{ Key: 'team', Value: 'edge' }],
        VersionIdsToStages: { [VersionId]: ['AWSCURRENT'] },
      })
      expect(typeof described.CreatedDate).toBe('number')
      expect(typeof described.LastChangedDate).toBe('number')
      expect(described.DeletedDate).toBeUndefined()
      expect(JSON.stringify(described)).not.toContain('hidden')
    })
  })

  describe('ListSecrets', () => {
    it('pages through every secret with MaxResults and NextToken', async () => {
      const emulator = createEmulator()
      const names: string[] = []
      for (let i = 0; i < 7; i++) names.push((await createString(emulator, 'listed')).Name)

      const seen: string[] = []
      let NextToken: string | undefined
      let pages = 0
      do {
        const page = await ok(emulator, 'ListSecrets', {
          MaxResults: 3,
          SortBy: 'name',
          ...(NextToken !== undefined && { NextToken }),
        })
        expect(page.SecretList.length).toBeLessThanOrEqual(3)
        for (const secret of page.SecretList) {
          expect(secret.SecretString).toBeUndefined()
          seen.push(secret.Name)
        }
        NextToken = page.NextToken
        pages++
      } while (NextToken !== undefined)
      expect(pages).toBe(3)
      expect(seen).toEqual([...names].sort())
    })

    it('filters by name prefix and shows each secret its stages', async () => {
      const emulator = createEmulator()
      const { Name, VersionId } = await createString(emulator, 'filtered')
      await createString(emulator, 'other')
      const listed = await ok(emulator, 'ListSecrets', {
        Filters: [{ Key: 'name', Values: [Name] }],
      })
      expect(listed.SecretList).toHaveLength(1)
      expect(listed.SecretList[0]).toMatchObject({
        Name,
        SecretVersionsToStages: { [VersionId]: ['AWSCURRENT'] },
      })
      expect(listed.NextToken).toBeUndefined()
    })

    it('refuses a NextToken it did not issue', async () => {
      const emulator = createEmulator()
      const result = await call(emulator, 'ListSecrets', { NextToken: 'not-a-token' })
      expect(result.status).toBe(400)
      expect(result.body.__type).toBe('InvalidNextTokenException')
    })
  })

  describe('DeleteSecret and RestoreSecret', () => {
    it('schedules deletion, refuses reads meanwhile, and restores the secret', async () => {
      const emulator = createEmulator()
      const { Name, ARN } = await createString(emulator, 'deleted', 'recoverable')
      const deleted = await ok(emulator, 'DeleteSecret', {
        SecretId: Name,
        RecoveryWindowInDays: 7,
      })
      expect(deleted).toMatchObject({ ARN, Name })
      expect(typeof deleted.DeletionDate).toBe('number')

      const read = await call(emulator, 'GetSecretValue', { SecretId: Name })
      expect(read.status).toBe(400)
      expect(read.body.__type).toBe('InvalidRequestException')
      const described = await ok(emulator, 'DescribeSecret', { SecretId: Name })
      expect(described.DeletedDate).toBe(deleted.DeletionDate)
      const listed = await ok(emulator, 'ListSecrets', {
        Filters: [{ Key: 'name', Values: [Name] }],
      })
      expect(listed.SecretList).toEqual([])
      const recreated = await call(emulator, 'CreateSecret', { Name })
      expect(recreated.body.__type).toBe('InvalidRequestException')

      expect(await ok(emulator, 'RestoreSecret', { SecretId: Name })).toEqual({ ARN, Name })
      expect((await ok(emulator, 'GetSecretValue', { SecretId: Name })).SecretString).toBe(
        'recoverable'
      )
      expect((await ok(emulator, 'DescribeSecret', { SecretId: Name })).DeletedDate).toBeUndefined()
    })

    it('removes the secret at once with ForceDeleteWithoutRecovery', async () => {
      const emulator = createEmulator()
      const { Name } = await createString(emulator, 'forced')
      await ok(emulator, 'DeleteSecret', { SecretId: Name, ForceDeleteWithoutRecovery: true })
      const read = await call(emulator, 'GetSecretValue', { SecretId: Name })
      expect(read.body.__type).toBe('ResourceNotFoundException')
      const restored = await call(emulator, 'RestoreSecret', { SecretId: Name })
      expect(restored.body.__type).toBe('ResourceNotFoundException')
      // The name is free again.
      await ok(emulator, 'CreateSecret', { Name })
    })

    it('refuses a recovery window outside 7 to 30 days, and one combined with force', async () => {
      const emulator = createEmulator()
      const { Name } = await createString(emulator, 'window')
      for (const input of [
        { SecretId: Name, RecoveryWindowInDays: 6 },
        { SecretId: Name, RecoveryWindowInDays: 31 },
        { SecretId: Name, RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true },
      ]) {
        const result = await call(emulator, 'DeleteSecret', input)
        expect(result.body.__type).toBe('InvalidParameterException')
      }
      await ok(emulator, 'GetSecretValue', { SecretId: Name })
    })
  })

  describe('BatchGetSecretValue', () => {
    it('returns the values it finds and an error entry for each one it does not', async () => {
      const emulator = createEmulator()
      const first = await createString(emulator, 'batch', 'alpha')
      const second = await createString(emulator, 'batch', 'beta')
      const missing = uniqueName('batch-missing')
      const result = await ok(emulator, 'BatchGetSecretValue', {
        SecretIdList: [first.Name, missing, second.ARN],
      })
      expect(
        result.SecretValues.map((v: { Name: string; SecretString: string }) => [
          v.Name,
          v.SecretString,
        ])
      ).toEqual([
        [first.Name, 'alpha'],
        [second.Name, 'beta'],
      ])
      expect(result.Errors).toEqual([
        expect.objectContaining({ SecretId: missing, ErrorCode: 'ResourceNotFoundException' }),
      ])
    })

    it('refuses SecretIdList and Filters together', async () => {
      const emulator = createEmulator()
      const result = await call(emulator, 'BatchGetSecretValue', {
        SecretIdList: ['a'],
        Filters: [{ Key: 'name', Values: ['a'] }],
      })
      expect(result.body.__type).toBe('InvalidParameterException')
    })
  })

  describe('GetRandomPassword', () => {
    it('makes a password of the asked length from the allowed classes', async () => {
      const emulator = createEmulator()
      const { RandomPassword } = await ok(emulator, 'GetRandomPassword', {
        PasswordLength: 64,
        ExcludePunctuation: true,
        ExcludeCharacters: 'aeiouAEIOU01',
        RequireEachIncludedType: true,
      })
      expect(RandomPassword).toHaveLength(64)
      expect(RandomPassword).toMatch(/^[A-Za-z0-9]+$/)
      expect(RandomPassword).not.toMatch(/[aeiouAEIOU01]/)
      expect(RandomPassword).toMatch(/[A-Z]/)
      expect(RandomPassword).toMatch(/[a-z]/)
      expect(RandomPassword).toMatch(/[2-9]/)
    })

    it('makes the longest password, 4096 characters, with workerd crypto', async () => {
      const emulator = createEmulator()
      const { RandomPassword } = await ok(emulator, 'GetRandomPassword', { PasswordLength: 4096 })
      expect(RandomPassword).toHaveLength(4096)
      expect(RandomPassword).not.toContain(' ')
    })

    it('refuses a length above 4096', async () => {
      const emulator = createEmulator()
      const result = await call(emulator, 'GetRandomPassword', { PasswordLength: 4097 })
      expect(result.body.__type).toBe('ValidationException')
    })
  })

  describe('errors', () => {
    it('answers with the __type, message, status and headers of the service', async () => {
      const emulator = createEmulator()
      const response = await emulator.fetch(
        await signedRequest('GetSecretValue', { SecretId: uniqueName('absent') })
      )
      const { status, headers, body } = await json(response)
      expect(status).toBe(400)
      expect(headers.get('content-type')).toBe('application/x-amz-json-1.1')
      expect(headers.get('x-amzn-ErrorType')).toBe('ResourceNotFoundException')
      expect(headers.get('x-amzn-RequestId')).toMatch(UUID_PATTERN)
      expect(body).toEqual({
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      })
    })

    it('gives every response its own request id, and none an error type on success', async () => {
      const emulator = createEmulator()
      const first = await emulator.fetch(await signedRequest('ListSecrets', {}))
      const second = await emulator.fetch(await signedRequest('ListSecrets', {}))
      expect(first.status).toBe(200)
      expect(first.headers.get('x-amzn-ErrorType')).toBeNull()
      expect(first.headers.get('x-amzn-RequestId')).toMatch(UUID_PATTERN)
      expect(first.headers.get('x-amzn-RequestId')).not.toBe(second.headers.get('x-amzn-RequestId'))
    })

    it('answers malformed JSON with SerializationException, not a 500', async () => {
      const emulator = createEmulator()
      for (const rawBody of ['{"Name":', '[1,2]', 'null', '{"Name": "x",}']) {
        const result = await call(emulator, 'CreateSecret', {}, { rawBody })
        expect(result.status).toBe(400)
        expect(result.body.__type).toBe('SerializationException')
        expect(result.headers.get('x-amzn-ErrorType')).toBe('SerializationException')
      }
    })

    it('answers a member of the wrong JSON type with SerializationException', async () => {
      const emulator = createEmulator()
      const result = await call(emulator, 'CreateSecret', { Name: 42 })
      expect(result.status).toBe(400)
      expect(result.body.__type).toBe('SerializationException')
    })

    it('answers an unknown target with UnknownOperationException', async () => {
      const emulator = createEmulator()
      for (const operation of ['NoSuchOperation', 'toString', '__proto__']) {
        const result = await call(emulator, operation, {})
        expect(result.status).toBe(400)
        expect(result.body.__type).toBe('UnknownOperationException')
      }
    })

    it('answers an unsigned request with MissingAuthenticationTokenException (403)', async () => {
      const emulator = createEmulator()
      const response = await emulator.fetch(
        new Request('https://secretsmanager.us-east-1.amazonaws.com/', {
          method: 'POST',
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': 'secretsmanager.ListSecrets',
          },
          body: '{}',
        })
      )
      const { status, headers, body } = await json(response)
      expect(status).toBe(403)
      expect(body.__type).toBe('MissingAuthenticationTokenException')
      expect(headers.get('x-amzn-ErrorType')).toBe('MissingAuthenticationTokenException')
    })
  })

  describe('SigV4 with configured credentials', () => {
    const configured = () => createEmulator({ credentials: [TEST_CREDENTIALS] })

    it('accepts a request signed with the configured key pair', async () => {
      const emulator = configured()
      const { Name } = await createString(emulator, 'signed', 'accepted')
      expect((await ok(emulator, 'GetSecretValue', { SecretId: Name })).SecretString).toBe(
        'accepted'
      )
    })

    it('refuses a wrong secret key with InvalidSignatureException', async () => {
      const emulator = configured()
      const result = await call(
        emulator,
        'ListSecrets',
        {},
        { credentials: { ...TEST_CREDENTIALS, secretAccessKey: 'not-the-secret' } }
      )
      expect(result.status).toBe(400)
      expect(result.body).toEqual({
        __type: 'InvalidSignatureException',
        message: SIGNATURE_MISMATCH,
      })
      expect(result.headers.get('x-amzn-ErrorType')).toBe('InvalidSignatureException')
    })

    it('refuses an unknown access key with UnrecognizedClientException', async () => {
      const emulator = configured()
      const result = await call(
        emulator,
        'ListSecrets',
        {},
        { credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' } }
      )
      expect(result.status).toBe(400)
      expect(result.body.__type).toBe('UnrecognizedClientException')
    })

    it('refuses a body changed after signing, and does not run the operation', async () => {
      const emulator = configured()
      const Name = uniqueName('tampered')
      const signed = await signedRequest('CreateSecret', {
        Name,
        SecretString: 'original',
        ClientRequestToken: token(),
      })
      const tampered = withBody(
        signed,
        JSON.stringify({ Name, SecretString: 'injected', ClientRequestToken: token() })
      )
      const { status, body } = await json(await emulator.fetch(tampered))
      expect(status).toBe(400)
      expect(body).toEqual({ __type: 'InvalidSignatureException', message: SIGNATURE_MISMATCH })
      expect((await call(emulator, 'DescribeSecret', { SecretId: Name })).body.__type).toBe(
        'ResourceNotFoundException'
      )
    })

    it('refuses a signed header changed after signing', async () => {
      const emulator = configured()
      const { Name } = await createString(emulator, 'retargeted')
      const signed = await signedRequest('DescribeSecret', { SecretId: Name })
      const headers = new Headers(signed.headers)
      headers.set('x-amz-target', 'secretsmanager.GetSecretValue')
      const retargeted = new Request(signed.url, {
        method: 'POST',
        headers,
        body: await signed.arrayBuffer(),
      })
      const { status, body } = await json(await emulator.fetch(retargeted))
      expect(status).toBe(400)
      expect(body.__type).toBe('InvalidSignatureException')
    })
  })

  describe('SigV4 with any key pair', () => {
    it('refuses a body that no longer matches its signed x-amz-content-sha256', async () => {
      const emulator = createEmulator()
      const Name = uniqueName('hash-mismatch')
      const original = JSON.stringify({ Name, SecretString: 'a', ClientRequestToken: token() })
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(original))
      const signed = await signedRequest(
        'CreateSecret',
        {},
        { rawBody: original, headers: { 'x-amz-content-sha256': hex(digest) } }
      )
      const untouched = await emulator.fetch(withBody(signed.clone(), original))
      expect(untouched.status).toBe(200)

      const other = uniqueName('hash-mismatch')
      const tampered = withBody(
        signed,
        JSON.stringify({ Name: other, SecretString: 'b', ClientRequestToken: token() })
      )
      const { status, body } = await json(await emulator.fetch(tampered))
      expect(status).toBe(400)
      expect(body.__type).toBe('InvalidSignatureException')
      expect((await call(emulator, 'DescribeSecret', { SecretId: other })).body.__type).toBe(
        'ResourceNotFoundException'
      )
    })
  })

  describe('CORS', () => {
    it('answers a preflight with the origin and requested headers echoed', async () => {
      const emulator = createEmulator({ credentials: [TEST_CREDENTIALS] })
      const requested = 'authorization, content-type, x-amz-date, x-amz-target'
      const response = await emulator.fetch(
        new Request('https://secretsmanager.us-east-1.amazonaws.com/', {
          method: 'OPTIONS',
          headers: {
            Origin: 'chrome-extension://abcdefghijklmnop',
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': requested,
          },
        })
      )
      expect(response.status).toBe(200)
      expect(response.headers.get('Access-Control-Allow-Origin')).toBe(
        'chrome-extension://abcdefghijklmnop'
      )
      expect(response.headers.get('Access-Control-Allow-Headers')).toBe(requested)
      expect(response.headers.get('Access-Control-Allow-Methods')).toContain('POST')
      expect(response.headers.get('Vary')).toContain('Origin')
    })

    it('lets the origin read an error response and its AWS headers', async () => {
      const emulator = createEmulator()
      const result = await call(
        emulator,
        'GetSecretValue',
        { SecretId: uniqueName('cors-missing') },
        { headers: { Origin: 'https://app.example' } }
      )
      expect(result.status).toBe(400)
      expect(result.body.__type).toBe('ResourceNotFoundException')
      expect(result.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example')
      const exposed = (result.headers.get('Access-Control-Expose-Headers') ?? '').toLowerCase()
      expect(exposed).toContain('x-amzn-requestid')
      expect(exposed).toContain('x-amzn-errortype')
    })

    it('adds no CORS header to a request without an Origin', async () => {
      const emulator = createEmulator()
      const result = await call(emulator, 'ListSecrets', {})
      expect(result.status).toBe(200)
      expect(result.headers.get('Access-Control-Allow-Origin')).toBeNull()
    })
  })

  describe('storage', () => {
    it('keeps each emulator on its own store', async () => {
      const shared = new EmulatorMemoryStore()
      const first = createEmulator({ store: shared })
      const second = createEmulator({ store: shared })
      const isolated = createEmulator()
      const { Name } = await createString(first, 'shared-store', 'visible')
      expect((await ok(second, 'GetSecretValue', { SecretId: Name })).SecretString).toBe('visible')
      expect((await call(isolated, 'GetSecretValue', { SecretId: Name })).body.__type).toBe(
        'ResourceNotFoundException'
      )
    })
  })
})
