import { beforeEach, describe, expect, it } from 'vitest'
import { createEmulator, type Emulator } from '../../../src/emulator/index.js'
import { amzDate, signedRequest, token } from '../../support/call.js'

const DAY_MS = 86_400_000
const START = Date.UTC(2026, 10, 23, 12, 0, 0)

let clock: number
let emulator: Emulator

beforeEach(() => {
  clock = START
  emulator = createEmulator({ now: () => clock })
})

const sign = (operation: string, input: unknown, region?: string) =>
  signedRequest(operation, input, { datetime: amzDate(clock), ...(region && { region }) })

// Calls with the request signed at the emulator's clock, so moving the clock forward by days
// does not trip the 15-minute signature window.
async function at(operation: string, input: unknown = {}, region?: string) {
  const response = await emulator.fetch(await sign(operation, input, region))
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} }
}

async function create(name: string, value: Record<string, unknown> = { SecretString: 'v1' }) {
  const result = await at('CreateSecret', { Name: name, ClientRequestToken: token(), ...value })
  expect(result.status).toBe(200)
  return result.body
}

async function expectError(operation: string, input: unknown, type: string, status = 400) {
  const result = await at(operation, input)
  expect(result.body.__type).toBe(type)
  expect(result.status).toBe(status)
  expect(result.headers.get('x-amzn-errortype')).toBe(type)
  expect(result.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/)
  expect(typeof result.body.message).toBe('string')
  return result.body.message as string
}

describe('emulator', () => {
  describe('CreateSecret', () => {
    it('returns an ARN with a random 6-character suffix and the first VersionId', async () => {
      const id = token()
      const { status, body, headers } = await at('CreateSecret', {
        Name: 'prod/app/db',
        ClientRequestToken: id,
        SecretString: 'pw',
      })
      expect(status).toBe(200)
      expect(headers.get('content-type')).toBe('application/x-amz-json-1.1')
      expect(body.ARN).toMatch(
        /^arn:aws:secretsmanager:us-east-1:123456789012:secret:prod\/app\/db-[A-Za-z0-9]{6}$/
      )
      expect(body).toEqual({ ARN: body.ARN, Name: 'prod/app/db', VersionId: id })
    })

    it('uses the partition of the region in ARNs', async () => {
      const china = await at('CreateSecret', { Name: 'cn-secret' }, 'cn-north-1')
      expect(china.body.ARN).toMatch(/^arn:aws-cn:secretsmanager:cn-north-1:/)
      const gov = await at('CreateSecret', { Name: 'g' }, 'us-gov-west-1')
      expect(gov.body.ARN).toMatch(/^arn:aws-us-gov:secretsmanager:us-gov-west-1:/)
    })

    it('keeps regions apart', async () => {
      await at('CreateSecret', { Name: 'regional' }, 'eu-west-1')
      const other = await at('DescribeSecret', { SecretId: 'regional' })
      expect(other.body.__type).toBe('ResourceNotFoundException')
    })

    it('creates a secret without a value and no version', async () => {
      const body = await create('empty', {})
      expect(body.VersionId).toBeUndefined()
      const message = await expectError(
        'GetSecretValue',
        { SecretId: 'empty' },
        'ResourceNotFoundException'
      )
      expect(message).toContain('AWSCURRENT')
      const described = (await at('DescribeSecret', { SecretId: 'empty' })).body
      expect(described.VersionIdsToStages).toBeUndefined()
    })

    it.each([
      ['a space', 'bad name'],
      ['a star', 'bad*name'],
      ['a unicode letter', 'naïve'],
    ])('rejects a name with %s', async (_, Name) => {
      const message = await expectError('CreateSecret', { Name }, 'ValidationException')
      expect(message).toContain('Invalid name')
    })

    it('accepts every allowed character and 512 characters', async () => {
      await create('Az09/_+=.@-')
      await create('n'.repeat(512))
      await expectError('CreateSecret', { Name: 'n'.repeat(513) }, 'ValidationException')
      await expectError('CreateSecret', { Name: '' }, 'ValidationException')
      await expectError('CreateSecret', {}, 'ValidationException')
    })

    it('refuses an existing name, even with a new token', async () => {
      await create('dup')
      await expectError(
        'CreateSecret',
        { Name: 'dup', ClientRequestToken: token(), SecretString: 'x' },
        'ResourceExistsException'
      )
      await expectError('CreateSecret', { Name: 'dup' }, 'ResourceExistsException')
    })

    it('ignores a retried create with the same token and value', async () => {
      const id = token()
      const first = await at('CreateSecret', {
        Name: 'retry',
        ClientRequestToken: id,
        SecretString: 'a',
      })
      const second = await at('CreateSecret', {
        Name: 'retry',
        ClientRequestToken: id,
        SecretString: 'a',
      })
      expect(second.status).toBe(200)
      expect(second.body).toEqual(first.body)
      const described = (await at('DescribeSecret', { SecretId: 'retry' })).body
      expect(Object.keys(described.VersionIdsToStages)).toEqual([id])
    })

    it('answers a retried create without a value and the same token as the first', async () => {
      const input = { Name: 'retry-empty', ClientRequestToken: token(), Description: 'd' }
      const first = await at('CreateSecret', input)
      expect(first.status).toBe(200)
      expect(first.body.VersionId).toBeUndefined()
      const second = await at('CreateSecret', input)
      expect(second.status).toBe(200)
      expect(second.body).toEqual(first.body)
      const described = (await at('DescribeSecret', { SecretId: 'retry-empty' })).body
      expect(described.VersionIdsToStages).toBeUndefined()
      expect(described).not.toHaveProperty('ClientRequestToken')
      // Another token, or none, is another create of a taken name.
      await expectError(
        'CreateSecret',
        { ...input, ClientRequestToken: token() },
        'ResourceExistsException'
      )
      await expectError('CreateSecret', { Name: 'retry-empty' }, 'ResourceExistsException')
    })

    it('does not take a value-less create for a retry of one that sent a value', async () => {
      const ClientRequestToken = token()
      await at('CreateSecret', { Name: 'retry-mixed', ClientRequestToken, SecretString: 'v' })
      await expectError(
        'CreateSecret',
        { Name: 'retry-mixed', ClientRequestToken },
        'ResourceExistsException'
      )
    })

    it('requires a ClientRequestToken of 32 to 64 characters when a value is sent', async () => {
      const message = await expectError(
        'CreateSecret',
        { Name: 'no-token', SecretString: 'x' },
        'InvalidRequestException'
      )
      expect(message).toContain('ClientRequestToken')
      await expectError(
        'CreateSecret',
        { Name: 'short', ClientRequestToken: 'x'.repeat(31), SecretString: 'x' },
        'ValidationException'
      )
      await expectError(
        'CreateSecret',
        { Name: 'long', ClientRequestToken: 'x'.repeat(65), SecretString: 'x' },
        'ValidationException'
      )
      await create('exact', { SecretString: 'x' })
    })

    it('refuses SecretString and SecretBinary together', async () => {
      await expectError(
        'CreateSecret',
        { Name: 'both', ClientRequestToken: token(), SecretString: 'x', SecretBinary: 'AA==' },
        'InvalidParameterException'
      )
      const listed = (await at('ListSecrets')).body
      expect(listed.SecretList).toEqual([])
    })

    it('enforces the 65,536 character and byte limits', async () => {
      await create('max-string', { SecretString: 's'.repeat(65_536) })
      const message = await expectError(
        'CreateSecret',
        { Name: 'big-string', ClientRequestToken: token(), SecretString: 's'.repeat(65_537) },
        'ValidationException'
      )
      expect(message).not.toContain('sss')
      const bytes = (n: number) => btoa(String.fromCharCode(...new Uint8Array(n).fill(7)))
      await create('max-binary', { SecretBinary: bytes(65_536) })
      await expectError(
        'CreateSecret',
        { Name: 'big-binary', ClientRequestToken: token(), SecretBinary: bytes(65_537) },
        'ValidationException'
      )
      await expectError(
        'CreateSecret',
        { Name: 'empty-string', ClientRequestToken: token(), SecretString: '' },
        'ValidationException'
      )
    })

    it('returns binary values base64-encoded exactly once', async () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i)
      const base64 = btoa(String.fromCharCode(...all))
      await create('bin', { SecretBinary: base64 })
      const value = (await at('GetSecretValue', { SecretId: 'bin' })).body
      expect(value.SecretBinary).toBe(base64)
      expect(value.SecretString).toBeUndefined()
    })

    it('refuses a binary value that is not base64', async () => {
      await expectError(
        'CreateSecret',
        { Name: 'bad-b64', ClientRequestToken: token(), SecretBinary: '***' },
        'SerializationException'
      )
    })

    it('keeps one tag per key, the last value winning', async () => {
      await at('CreateSecret', {
        Name: 'tagged',
        Tags: [
          { Key: 'env', Value: 'dev' },
          { Key: 'env', Value: 'prod' },
        ],
      })
      const described = (await at('DescribeSecret', { SecretId: 'tagged' })).body
      expect(described.Tags).toEqual([{ Key: 'env', Value: 'prod' }])
    })

    it('stores description, KMS key, tags and type for DescribeSecret', async () => {
      await at('CreateSecret', {
        Name: 'meta',
        Description: 'the db',
        KmsKeyId: 'alias/mine',
        Tags: [{ Key: 'env', Value: 'prod' }],
        Type: 'custom',
      })
      const described = (await at('DescribeSecret', { SecretId: 'meta' })).body
      expect(described).toMatchObject({
        Name: 'meta',
        Description: 'the db',
        KmsKeyId: 'alias/mine',
        Tags: [{ Key: 'env', Value: 'prod' }],
        CreatedDate: START / 1000,
        LastChangedDate: START / 1000,
      })
      expect(described).not.toHaveProperty('DeletedDate')
      expect(described).not.toHaveProperty('LastAccessedDate')
    })

    it('refuses replication, which it does not emulate', async () => {
      await expectError(
        'CreateSecret',
        { Name: 'replicated', AddReplicaRegions: [{ Region: 'eu-west-1' }] },
        'InvalidRequestException'
      )
    })
  })

  describe('GetSecretValue', () => {
    it('reads AWSCURRENT by name, full ARN and partial ARN', async () => {
      const { ARN, VersionId } = await create('lookup')
      const partial = ARN.slice(0, -7)
      for (const SecretId of ['lookup', ARN, partial]) {
        const value = (await at('GetSecretValue', { SecretId })).body
        expect(value).toEqual({
          ARN,
          Name: 'lookup',
          VersionId,
          SecretString: 'v1',
          VersionStages: ['AWSCURRENT'],
          CreatedDate: START / 1000,
        })
      }
    })

    it('does not find a full ARN with another suffix, region or account', async () => {
      const { ARN } = await create('arn-check')
      const wrongSuffix = `${ARN.slice(0, -6)}ZZZZZZ`
      await expectError('GetSecretValue', { SecretId: wrongSuffix }, 'ResourceNotFoundException')
      const otherRegion = ARN.replace('us-east-1', 'eu-west-1')
      await expectError('GetSecretValue', { SecretId: otherRegion }, 'ResourceNotFoundException')
      const otherAccount = ARN.replace('123456789012', '210987654321')
      await expectError('GetSecretValue', { SecretId: otherAccount }, 'ResourceNotFoundException')
    })

    it('looks up by VersionId and VersionStage, which must agree', async () => {
      const first = await create('versions')
      const second = (
        await at('PutSecretValue', {
          SecretId: 'versions',
          ClientRequestToken: token(),
          SecretString: 'v2',
        })
      ).body
      const byId = (
        await at('GetSecretValue', { SecretId: 'versions', VersionId: first.VersionId })
      ).body
      expect(byId.SecretString).toBe('v1')
      expect(byId.VersionStages).toEqual(['AWSPREVIOUS'])
      const byStage = (
        await at('GetSecretValue', { SecretId: 'versions', VersionStage: 'AWSPREVIOUS' })
      ).body
      expect(byStage.VersionId).toBe(first.VersionId)
      const both = await at('GetSecretValue', {
        SecretId: 'versions',
        VersionId: second.VersionId,
        VersionStage: 'AWSCURRENT',
      })
      expect(both.body.SecretString).toBe('v2')
      await expectError(
        'GetSecretValue',
        { SecretId: 'versions', VersionId: first.VersionId, VersionStage: 'AWSCURRENT' },
        'InvalidRequestException'
      )
      await expectError(
        'GetSecretValue',
        { SecretId: 'versions', VersionId: token() },
        'ResourceNotFoundException'
      )
      await expectError(
        'GetSecretValue',
        { SecretId: 'versions', VersionStage: 'NOPE' },
        'ResourceNotFoundException'
      )
    })

    it('validates a name-shaped SecretId as a name', async () => {
      const message = await expectError(
        'GetSecretValue',
        { SecretId: 'no spaces' },
        'ValidationException'
      )
      expect(message).toContain('Invalid name')
      const batch = (await at('BatchGetSecretValue', { SecretIdList: ['no spaces'] })).body
      expect(batch.Errors[0].ErrorCode).toBe('ValidationException')
    })

    it('does not find an ARN of another partition', async () => {
      const { ARN } = await create('partitioned')
      const foreign = ARN.replace('arn:aws:', 'arn:aws-cn:')
      await expectError('GetSecretValue', { SecretId: foreign }, 'ResourceNotFoundException')
    })

    it('counts string lengths in code points, as the model does', async () => {
      const emoji = '\u{1F511}'.repeat(40_000)
      await create('emoji', { SecretString: emoji })
      expect((await at('GetSecretValue', { SecretId: 'emoji' })).body.SecretString).toBe(emoji)
      await expectError(
        'CreateSecret',
        {
          Name: 'emoji-big',
          ClientRequestToken: token(),
          SecretString: '\u{1F511}'.repeat(65_537),
        },
        'ValidationException'
      )
    })

    it('records the day of last access', async () => {
      await create('accessed')
      clock += 3 * DAY_MS + 5000
      await at('GetSecretValue', { SecretId: 'accessed' })
      const described = (await at('DescribeSecret', { SecretId: 'accessed' })).body
      const day = clock - (clock % DAY_MS)
      expect(described.LastAccessedDate).toBe(day / 1000)
    })

    it('answers ResourceNotFoundException for an unknown secret', async () => {
      const message = await expectError(
        'GetSecretValue',
        { SecretId: 'missing' },
        'ResourceNotFoundException'
      )
      expect(message).toBe("Secrets Manager can't find the specified secret.")
    })
  })

  describe('PutSecretValue', () => {
    it('moves AWSCURRENT to the new version and AWSPREVIOUS to the old one', async () => {
      const v1 = (await create('rotate')).VersionId
      const put = async (SecretString: string) =>
        (
          await at('PutSecretValue', {
            SecretId: 'rotate',
            ClientRequestToken: token(),
            SecretString,
          })
        ).body
      const v2 = await put('v2')
      expect(v2.VersionStages).toEqual(['AWSCURRENT'])
      const v3 = await put('v3')
      const stages = (await at('DescribeSecret', { SecretId: 'rotate' })).body.VersionIdsToStages
      // v1 lost every label, so it is deprecated and no longer listed.
      expect(stages).toEqual({ [v2.VersionId]: ['AWSPREVIOUS'], [v3.VersionId]: ['AWSCURRENT'] })
      const old = (await at('GetSecretValue', { SecretId: 'rotate', VersionId: v1 })).body
      expect(old.SecretString).toBe('v1')
      expect(old.VersionStages).toEqual([])
    })

    it('attaches explicit VersionStages without touching AWSCURRENT', async () => {
      const v1 = (await create('staged')).VersionId
      const pending = (
        await at('PutSecretValue', {
          SecretId: 'staged',
          ClientRequestToken: token(),
          SecretString: 'next',
          VersionStages: ['AWSPENDING', 'custom'],
        })
      ).body
      expect(pending.VersionStages).toEqual(['AWSPENDING', 'custom'])
      const current = (await at('GetSecretValue', { SecretId: 'staged' })).body
      expect(current.VersionId).toBe(v1)
      // Moving a custom label takes it off its old version.
      const moved = (
        await at('PutSecretValue', {
          SecretId: 'staged',
          ClientRequestToken: token(),
          SecretString: 'again',
          VersionStages: ['custom', 'AWSCURRENT'],
        })
      ).body
      const stages = (await at('DescribeSecret', { SecretId: 'staged' })).body.VersionIdsToStages
      expect(stages).toEqual({
        [v1]: ['AWSPREVIOUS'],
        [pending.VersionId]: ['AWSPENDING'],
        [moved.VersionId]: ['custom', 'AWSCURRENT'],
      })
    })

    it('is idempotent per token: same value is a no-op, another value an error', async () => {
      await create('idem')
      const id = token()
      const input = { SecretId: 'idem', ClientRequestToken: id, SecretString: 'same' }
      const first = (await at('PutSecretValue', input)).body
      const again = await at('PutSecretValue', input)
      expect(again.status).toBe(200)
      expect(again.body).toEqual(first)
      await expectError(
        'PutSecretValue',
        { ...input, SecretString: 'different' },
        'ResourceExistsException'
      )
      const stages = (await at('DescribeSecret', { SecretId: 'idem' })).body.VersionIdsToStages
      expect(Object.keys(stages)).toHaveLength(2)
    })

    it('makes one version from concurrent writes with the same token', async () => {
      await create('race')
      const input = { SecretId: 'race', ClientRequestToken: token(), SecretString: 'r' }
      const results = await Promise.all(
        Array.from({ length: 8 }, () => at('PutSecretValue', input))
      )
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(200))
      const stages = (await at('DescribeSecret', { SecretId: 'race' })).body.VersionIdsToStages
      expect(Object.keys(stages)).toHaveLength(2)
    })

    it('labels the first version AWSCURRENT even when other stages are given', async () => {
      await at('CreateSecret', { Name: 'first-put' })
      const put = (
        await at('PutSecretValue', {
          SecretId: 'first-put',
          ClientRequestToken: token(),
          SecretString: 'x',
          VersionStages: ['AWSPENDING'],
        })
      ).body
      expect(put.VersionStages).toEqual(['AWSPENDING', 'AWSCURRENT'])
      expect((await at('GetSecretValue', { SecretId: 'first-put' })).body.SecretString).toBe('x')
    })

    it('refuses a write past 100 versions younger than a day, and prunes older ones', async () => {
      await create('busy')
      const put = () =>
        at('PutSecretValue', { SecretId: 'busy', ClientRequestToken: token(), SecretString: 'x' })
      for (let i = 1; i < 100; i++) expect((await put()).status).toBe(200)
      const refused = await put()
      expect(refused.body.__type).toBe('LimitExceededException')
      const stages = (await at('DescribeSecret', { SecretId: 'busy' })).body.VersionIdsToStages
      expect(Object.keys(stages)).toHaveLength(2)
      clock += DAY_MS
      expect((await put()).status).toBe(200)
    })

    it('requires a value and a token', async () => {
      await create('needs')
      await expectError(
        'PutSecretValue',
        { SecretId: 'needs', ClientRequestToken: token() },
        'InvalidRequestException'
      )
      await expectError(
        'PutSecretValue',
        { SecretId: 'needs', SecretString: 'x' },
        'InvalidRequestException'
      )
      await expectError(
        'PutSecretValue',
        { SecretId: 'missing', ClientRequestToken: token(), SecretString: 'x' },
        'ResourceNotFoundException'
      )
    })

    it('validates VersionStages', async () => {
      await create('bad-stages')
      const input = { SecretId: 'bad-stages', ClientRequestToken: token(), SecretString: 'x' }
      await expectError('PutSecretValue', { ...input, VersionStages: [] }, 'ValidationException')
      await expectError(
        'PutSecretValue',
        { ...input, VersionStages: Array.from({ length: 21 }, (_, i) => `s${i}`) },
        'ValidationException'
      )
      await expectError(
        'PutSecretValue',
        { ...input, VersionStages: [1] },
        'SerializationException'
      )
    })
  })

  describe('UpdateSecret', () => {
    it('changes only metadata without creating a version', async () => {
      const { VersionId } = await create('upd-meta')
      clock += 1000
      const result = (await at('UpdateSecret', { SecretId: 'upd-meta', Description: 'new' })).body
      expect(result.VersionId).toBeUndefined()
      const described = (await at('DescribeSecret', { SecretId: 'upd-meta' })).body
      expect(described.Description).toBe('new')
      expect(described.LastChangedDate).toBe(clock / 1000)
      expect(Object.keys(described.VersionIdsToStages)).toEqual([VersionId])
    })

    it('ignores the token of a metadata-only update, even one naming an existing version', async () => {
      const { VersionId } = await create('upd-token')
      for (const ClientRequestToken of [token(), VersionId]) {
        const result = await at('UpdateSecret', {
          SecretId: 'upd-token',
          ClientRequestToken,
          Description: ClientRequestToken,
        })
        expect(result.status).toBe(200)
        expect(result.body.VersionId).toBeUndefined()
      }
      const described = (await at('DescribeSecret', { SecretId: 'upd-token' })).body
      expect(described.Description).toBe(VersionId)
      expect(Object.keys(described.VersionIdsToStages)).toEqual([VersionId])
    })

    it('creates a version and moves AWSCURRENT when a value is sent', async () => {
      const v1 = (await create('upd-value')).VersionId
      const id = token()
      const input = { SecretId: 'upd-value', ClientRequestToken: id, SecretString: 'v2' }
      const result = (await at('UpdateSecret', input)).body
      expect(result.VersionId).toBe(id)
      // A retry after a lost response must not create a second version.
      expect((await at('UpdateSecret', input)).body).toEqual(result)
      const stages = (await at('DescribeSecret', { SecretId: 'upd-value' })).body.VersionIdsToStages
      expect(stages).toEqual({ [v1]: ['AWSPREVIOUS'], [id]: ['AWSCURRENT'] })
      await expectError(
        'UpdateSecret',
        { ...input, SecretString: 'other' },
        'ResourceExistsException'
      )
    })

    it('changes nothing when a replay is refused or ignored', async () => {
      await create('upd-atomic')
      const id = token()
      const input = { SecretId: 'upd-atomic', ClientRequestToken: id, SecretString: 'v2' }
      await at('UpdateSecret', { ...input, Description: 'one' })
      await expectError(
        'UpdateSecret',
        { ...input, SecretString: 'other', Description: 'two' },
        'ResourceExistsException'
      )
      await at('UpdateSecret', { ...input, Description: 'three' })
      expect((await at('DescribeSecret', { SecretId: 'upd-atomic' })).body.Description).toBe('one')
    })

    it('resets the KMS key with an empty KmsKeyId', async () => {
      await at('CreateSecret', { Name: 'kms', KmsKeyId: 'alias/k' })
      await at('UpdateSecret', { SecretId: 'kms', KmsKeyId: '' })
      expect((await at('DescribeSecret', { SecretId: 'kms' })).body.KmsKeyId).toBeUndefined()
    })
  })

  describe('DeleteSecret', () => {
    it('schedules deletion 30 days out by default and blocks reads and writes', async () => {
      const { ARN } = await create('doomed')
      const deleted = (await at('DeleteSecret', { SecretId: 'doomed' })).body
      expect(deleted).toEqual({ ARN, Name: 'doomed', DeletionDate: (START + 30 * DAY_MS) / 1000 })
      await expectError('GetSecretValue', { SecretId: 'doomed' }, 'InvalidRequestException')
      await expectError(
        'PutSecretValue',
        { SecretId: 'doomed', ClientRequestToken: token(), SecretString: 'x' },
        'InvalidRequestException'
      )
      await expectError(
        'UpdateSecret',
        { SecretId: 'doomed', Description: 'x' },
        'InvalidRequestException'
      )
      const described = (await at('DescribeSecret', { SecretId: 'doomed' })).body
      expect(described.DeletedDate).toBe(deleted.DeletionDate)
      const message = await expectError(
        'CreateSecret',
        { Name: 'doomed' },
        'InvalidRequestException'
      )
      expect(message).toContain('scheduled for deletion')
      await expectError('DeleteSecret', { SecretId: 'doomed' }, 'InvalidRequestException')
    })

    it('accepts recovery windows of 7 to 30 days only', async () => {
      await create('window')
      for (const RecoveryWindowInDays of [6, 31, 0, -1]) {
        await expectError(
          'DeleteSecret',
          { SecretId: 'window', RecoveryWindowInDays },
          'InvalidParameterException'
        )
      }
      const deleted = (await at('DeleteSecret', { SecretId: 'window', RecoveryWindowInDays: 7 }))
        .body
      expect(deleted.DeletionDate).toBe((START + 7 * DAY_MS) / 1000)
    })

    it('refuses a window together with ForceDeleteWithoutRecovery', async () => {
      await create('exclusive')
      await expectError(
        'DeleteSecret',
        { SecretId: 'exclusive', RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true },
        'InvalidParameterException'
      )
      expect((await at('GetSecretValue', { SecretId: 'exclusive' })).status).toBe(200)
    })

    it('restores a secret pending deletion', async () => {
      const { ARN } = await create('undo')
      await at('DeleteSecret', { SecretId: 'undo', RecoveryWindowInDays: 7 })
      const restored = (await at('RestoreSecret', { SecretId: 'undo' })).body
      expect(restored).toEqual({ ARN, Name: 'undo' })
      expect((await at('GetSecretValue', { SecretId: 'undo' })).body.SecretString).toBe('v1')
      expect((await at('DescribeSecret', { SecretId: 'undo' })).body).not.toHaveProperty(
        'DeletedDate'
      )
      await expectError('RestoreSecret', { SecretId: 'never' }, 'ResourceNotFoundException')
    })

    it('removes the secret for good once the window has passed', async () => {
      await create('expired')
      await at('DeleteSecret', { SecretId: 'expired', RecoveryWindowInDays: 7 })
      clock += 7 * DAY_MS - 1
      expect((await at('DescribeSecret', { SecretId: 'expired' })).status).toBe(200)
      clock += 1
      await expectError('DescribeSecret', { SecretId: 'expired' }, 'ResourceNotFoundException')
      await expectError('RestoreSecret', { SecretId: 'expired' }, 'ResourceNotFoundException')
      await create('expired')
    })

    it('force-deletes at once, and forgives a missing secret', async () => {
      await create('gone')
      const result = (
        await at('DeleteSecret', { SecretId: 'gone', ForceDeleteWithoutRecovery: true })
      ).body
      expect(result.DeletionDate).toBe(START / 1000)
      await expectError('DescribeSecret', { SecretId: 'gone' }, 'ResourceNotFoundException')
      await create('gone')
      const missing = await at('DeleteSecret', {
        SecretId: 'never-was',
        ForceDeleteWithoutRecovery: true,
      })
      expect(missing.status).toBe(200)
      expect(missing.body.Name).toBe('never-was')
      await expectError('DeleteSecret', { SecretId: 'never-was' }, 'ResourceNotFoundException')
    })

    it('echoes an unknown ARN when force-deleting it', async () => {
      const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf'
      const result = (await at('DeleteSecret', { SecretId: ARN, ForceDeleteWithoutRecovery: true }))
        .body
      expect(result).toMatchObject({ ARN, Name: 'nope-AbCdEf' })
    })

    it('force-deletes a secret already pending deletion', async () => {
      await create('pending-force')
      await at('DeleteSecret', { SecretId: 'pending-force' })
      const result = await at('DeleteSecret', {
        SecretId: 'pending-force',
        ForceDeleteWithoutRecovery: true,
      })
      expect(result.status).toBe(200)
      await expectError(
        'DescribeSecret',
        { SecretId: 'pending-force' },
        'ResourceNotFoundException'
      )
    })
  })

  describe('ListSecrets', () => {
    beforeEach(async () => {
      for (const [i, name] of ['b/two', 'a/one', 'c/three'].entries()) {
        clock = START + i * 1000
        await at('CreateSecret', {
          Name: name,
          Description: `Secret number ${name}`,
          Tags: [{ Key: 'team', Value: i === 0 ? 'blue' : 'red' }],
        })
      }
    })

    const names = (body: { SecretList: { Name: string }[] }) => body.SecretList.map((s) => s.Name)

    it('lists by creation date, with the stage map named SecretVersionsToStages', async () => {
      await at('PutSecretValue', {
        SecretId: 'a/one',
        ClientRequestToken: token(),
        SecretString: 'x',
      })
      const body = (await at('ListSecrets')).body
      expect(names(body)).toEqual(['b/two', 'a/one', 'c/three'])
      expect(body.NextToken).toBeUndefined()
      const one = body.SecretList[1]
      expect(one.SecretVersionsToStages).toBeDefined()
      expect(one.VersionIdsToStages).toBeUndefined()
    })

    it('sorts by name and order', async () => {
      const body = (await at('ListSecrets', { SortBy: 'name', SortOrder: 'desc' })).body
      expect(names(body)).toEqual(['c/three', 'b/two', 'a/one'])
      await expectError('ListSecrets', { SortOrder: 'up' }, 'ValidationException')
    })

    it('pages with MaxResults and NextToken until the token is absent', async () => {
      const seen: string[] = []
      let NextToken: string | undefined
      let pages = 0
      do {
        const body = (await at('ListSecrets', { MaxResults: 2, ...(NextToken && { NextToken }) }))
          .body
        seen.push(...names(body))
        NextToken = body.NextToken
        pages++
      } while (NextToken)
      expect(pages).toBe(2)
      expect(seen).toEqual(['b/two', 'a/one', 'c/three'])
    })

    it('refuses a foreign or garbled NextToken', async () => {
      const first = (await at('ListSecrets', { MaxResults: 1 })).body
      await expectError(
        'ListSecrets',
        { MaxResults: 1, NextToken: first.NextToken, SortBy: 'name' },
        'InvalidNextTokenException'
      )
      await expectError('ListSecrets', { NextToken: 'garbage' }, 'InvalidNextTokenException')
      await expectError('ListSecrets', { MaxResults: 101 }, 'ValidationException')
    })

    it('refuses a NextToken whose offset is not a whole number', async () => {
      const query = JSON.stringify([[], false, 'created-date', 'asc'])
      const NextToken = btoa(JSON.stringify({ offset: 0.5, query }))
      await expectError('ListSecrets', { NextToken }, 'InvalidNextTokenException')
    })

    it('filters by name prefix, tags, description and all, with negation', async () => {
      const list = async (Filters: unknown) => names((await at('ListSecrets', { Filters })).body)
      expect(await list([{ Key: 'name', Values: ['a/', 'c/'] }])).toEqual(['a/one', 'c/three'])
      expect(await list([{ Key: 'name', Values: ['A/'] }])).toEqual([])
      expect(await list([{ Key: 'tag-value', Values: ['red'] }])).toEqual(['a/one', 'c/three'])
      expect(await list([{ Key: 'tag-value', Values: ['!red'] }])).toEqual(['b/two'])
      expect(await list([{ Key: 'description', Values: ['SECRET NUMBER b'] }])).toEqual(['b/two'])
      expect(await list([{ Key: 'all', Values: ['THREE'] }])).toEqual(['c/three'])
      expect(
        await list([
          { Key: 'tag-key', Values: ['team'] },
          { Key: 'name', Values: ['!a'] },
        ])
      ).toEqual(['b/two', 'c/three'])
      await expectError(
        'ListSecrets',
        { Filters: [{ Key: 'colour', Values: ['x'] }] },
        'ValidationException'
      )
    })

    it('leaves out secrets pending deletion unless asked', async () => {
      await at('DeleteSecret', { SecretId: 'a/one' })
      expect(names((await at('ListSecrets')).body)).toEqual(['b/two', 'c/three'])
      const all = (await at('ListSecrets', { IncludePlannedDeletion: true })).body
      expect(names(all)).toContain('a/one')
      expect(
        all.SecretList.find((s: { Name: string }) => s.Name === 'a/one').DeletedDate
      ).toBeTypeOf('number')
    })
  })

  describe('BatchGetSecretValue', () => {
    it('returns values and per-secret errors for a SecretIdList', async () => {
      await create('batch/a', { SecretString: 'A' })
      await create('batch/b', { SecretString: 'B' })
      await create('batch/deleted')
      await at('DeleteSecret', { SecretId: 'batch/deleted' })
      const body = (
        await at('BatchGetSecretValue', {
          SecretIdList: ['batch/a', 'batch/missing', 'batch/b', 'batch/deleted'],
        })
      ).body
      expect(body.SecretValues.map((v: { SecretString: string }) => v.SecretString)).toEqual([
        'A',
        'B',
      ])
      expect(body.Errors).toEqual([
        expect.objectContaining({
          SecretId: 'batch/missing',
          ErrorCode: 'ResourceNotFoundException',
        }),
        expect.objectContaining({
          SecretId: 'batch/deleted',
          ErrorCode: 'InvalidRequestException',
        }),
      ])
    })

    it('pages through secrets matched by Filters', async () => {
      for (const n of [1, 2, 3]) await create(`filtered/${n}`, { SecretString: `${n}` })
      await create('other/1')
      const first = (
        await at('BatchGetSecretValue', {
          Filters: [{ Key: 'name', Values: ['filtered/'] }],
          MaxResults: 2,
        })
      ).body
      expect(first.SecretValues).toHaveLength(2)
      const second = (
        await at('BatchGetSecretValue', {
          Filters: [{ Key: 'name', Values: ['filtered/'] }],
          MaxResults: 2,
          NextToken: first.NextToken,
        })
      ).body
      expect(second.SecretValues.map((v: { Name: string }) => v.Name)).toEqual(['filtered/3'])
      expect(second.NextToken).toBeUndefined()
    })

    it('needs exactly one of SecretIdList and Filters', async () => {
      await expectError('BatchGetSecretValue', {}, 'InvalidParameterException')
      await expectError(
        'BatchGetSecretValue',
        { SecretIdList: ['a'], Filters: [{ Key: 'name', Values: ['a'] }] },
        'InvalidParameterException'
      )
      await expectError(
        'BatchGetSecretValue',
        { SecretIdList: ['a'], MaxResults: 5 },
        'InvalidParameterException'
      )
      await expectError(
        'BatchGetSecretValue',
        { SecretIdList: Array.from({ length: 21 }, (_, i) => `s${i}`) },
        'ValidationException'
      )
    })
  })

  describe('GetRandomPassword', () => {
    it('returns a 32-character password by default', async () => {
      const body = (await at('GetRandomPassword')).body
      expect(body.RandomPassword).toHaveLength(32)
    })

    it('validates PasswordLength against the model', async () => {
      await expectError('GetRandomPassword', { PasswordLength: 0 }, 'ValidationException')
      await expectError('GetRandomPassword', { PasswordLength: 4097 }, 'ValidationException')
      await expectError('GetRandomPassword', { PasswordLength: '8' }, 'SerializationException')
      await expectError('GetRandomPassword', { ExcludeNumbers: 'yes' }, 'SerializationException')
    })
  })

  describe('protocol', () => {
    it('omits members without a value instead of sending null', async () => {
      await at('CreateSecret', { Name: 'sparse' })
      const text = await (
        await emulator.fetch(await sign('DescribeSecret', { SecretId: 'sparse' }))
      ).text()
      expect(text).not.toContain('null')
    })

    it('answers malformed JSON with SerializationException', async () => {
      const request = await signedRequest('ListSecrets', null, {
        rawBody: '{"MaxResults":',
        datetime: amzDate(clock),
      })
      const response = await emulator.fetch(request)
      expect(response.status).toBe(400)
      expect((await response.json()).__type).toBe('SerializationException')
    })

    it.each([
      ['an array', '[1]'],
      ['a string', '"x"'],
      ['null', 'null'],
    ])('answers %s as the body with SerializationException', async (_, rawBody) => {
      const request = await signedRequest('ListSecrets', null, {
        rawBody,
        datetime: amzDate(clock),
      })
      expect((await (await emulator.fetch(request)).json()).__type).toBe('SerializationException')
    })

    it('treats an empty body as {}', async () => {
      const request = await signedRequest('ListSecrets', null, {
        rawBody: '',
        datetime: amzDate(clock),
      })
      const response = await emulator.fetch(request)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ SecretList: [] })
    })

    it('answers a wrongly typed member with SerializationException', async () => {
      await expectError('GetSecretValue', { SecretId: 42 }, 'SerializationException')
      await expectError('CreateSecret', { Name: 'typed', Tags: 'x' }, 'SerializationException')
      await expectError(
        'CreateSecret',
        { Name: 'typed', Tags: [{ Key: 1 }] },
        'SerializationException'
      )
      await expectError(
        'DeleteSecret',
        { SecretId: 'x', RecoveryWindowInDays: 7.5 },
        'SerializationException'
      )
    })

    it('answers an unknown or missing target with UnknownOperationException', async () => {
      await expectError('StealSecrets', {}, 'UnknownOperationException')
      await expectError('toString', {}, 'UnknownOperationException')
      const request = await signedRequest('X', {}, { datetime: amzDate(clock) })
      const headers = new Headers(request.headers)
      headers.set('x-amz-target', 'kms.Encrypt')
      // The target is signed, so send an unsigned one through a fresh signature instead.
      const foreign = await signedRequest(
        'ListSecrets',
        {},
        {
          datetime: amzDate(clock),
          headers: { 'x-amz-target': 'kms.Encrypt' },
        }
      )
      const response = await emulator.fetch(foreign)
      expect((await response.json()).__type).toBe('UnknownOperationException')
    })

    it('sends a Date header from its own clock', async () => {
      const result = await at('ListSecrets')
      expect(result.headers.get('date')).toBe(new Date(START).toUTCString())
    })

    it('refuses a SignedHeaders entry that is not a header name', async () => {
      const request = await sign('ListSecrets', {})
      const headers = new Headers(request.headers)
      const auth = headers.get('authorization') ?? ''
      headers.set('authorization', auth.replace('SignedHeaders=', 'SignedHeaders=bad(name;'))
      const response = await emulator.fetch(
        new Request(request.url, { method: 'POST', headers, body: '{}' })
      )
      expect(response.status).toBe(400)
      expect((await response.json()).__type).toBe('IncompleteSignatureException')
    })

    it('refuses an oversized body with 413 before reading it all', async () => {
      const small = createEmulator({ maxBodyBytes: 1000, now: () => clock })
      const request = await signedRequest(
        'CreateSecret',
        { Name: 'big', SecretString: 'x'.repeat(2000) },
        { datetime: amzDate(clock) }
      )
      const response = await small.fetch(request)
      expect(response.status).toBe(413)
      expect((await response.json()).__type).toBe('RequestEntityTooLargeException')
    })

    it('answers other methods and paths with a JSON error, not a page', async () => {
      const response = await emulator.fetch(
        new Request('https://secretsmanager.us-east-1.amazonaws.com/')
      )
      expect(response.status).toBe(404)
      expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1')
      expect((await response.json()).__type).toBe('UnknownOperationException')
    })

    it('answers a CORS preflight without a signature and tags responses for browsers', async () => {
      const preflight = await emulator.fetch(
        new Request('https://secretsmanager.us-east-1.amazonaws.com/', {
          method: 'OPTIONS',
          headers: {
            origin: 'chrome-extension://abc',
            'access-control-request-method': 'POST',
            'access-control-request-headers':
              'authorization, content-type, x-amz-date, x-amz-target',
          },
        })
      )
      expect(preflight.status).toBe(200)
      expect(preflight.headers.get('access-control-allow-origin')).toBe('chrome-extension://abc')
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')
      expect(preflight.headers.get('access-control-allow-headers')).toBe(
        'authorization, content-type, x-amz-date, x-amz-target'
      )
      expect(preflight.headers.get('vary')).toContain('Origin')
      const error = await emulator.fetch(
        await signedRequest(
          'GetSecretValue',
          { SecretId: 'nope' },
          {
            datetime: amzDate(clock),
            headers: { origin: 'https://app.example' },
          }
        )
      )
      expect(error.status).toBe(400)
      expect(error.headers.get('access-control-allow-origin')).toBe('https://app.example')
    })
  })

  describe('fault injection', () => {
    it('throttles the next matching request only', async () => {
      emulator.injectFault({ kind: 'throttle', operations: ['ListSecrets'] })
      await expectError('GetRandomPassword', {}, 'ThrottlingException').catch(() => {})
      const throttled = await at('ListSecrets')
      expect(throttled.status).toBe(400)
      expect(throttled.body.__type).toBe('ThrottlingException')
      expect((await at('ListSecrets')).status).toBe(200)
    })

    it('answers server errors without running the operation', async () => {
      emulator.injectFault({ kind: 'server-error', status: 503, count: 2 })
      const first = await at('CreateSecret', { Name: 'not-made' })
      expect(first.status).toBe(503)
      expect((await at('CreateSecret', { Name: 'not-made' })).status).toBe(503)
      expect((await at('DescribeSecret', { SecretId: 'not-made' })).body.__type).toBe(
        'ResourceNotFoundException'
      )
      emulator.injectFault({ kind: 'server-error' })
      const fault = await at('ListSecrets')
      expect(fault.status).toBe(500)
      expect(fault.body.__type).toBe('InternalServiceError')
    })

    it('commits, then drops the response', async () => {
      emulator.injectFault({ kind: 'drop-response', operations: ['CreateSecret'] })
      const request = await sign('CreateSecret', { Name: 'committed' })
      await expect(emulator.fetch(request)).rejects.toBeInstanceOf(TypeError)
      expect((await at('DescribeSecret', { SecretId: 'committed' })).status).toBe(200)
    })

    it('gives queued faults to successive requests, one each', async () => {
      emulator.injectFault({ kind: 'throttle' })
      emulator.injectFault({ kind: 'drop-response' })
      expect((await at('CreateSecret', { Name: 'queued' })).body.__type).toBe('ThrottlingException')
      await expect(emulator.fetch(await sign('CreateSecret', { Name: 'queued' }))).rejects.toThrow(
        TypeError
      )
      expect((await at('DescribeSecret', { SecretId: 'queued' })).status).toBe(200)
    })

    it('delays by the given latency', async () => {
      emulator.injectFault({ kind: 'latency', ms: 5 })
      expect((await at('ListSecrets')).status).toBe(200)
    })

    it('forgets faults on clearFaults', async () => {
      emulator.injectFault({ kind: 'throttle', count: 5 })
      emulator.clearFaults()
      expect((await at('ListSecrets')).status).toBe(200)
    })
  })
})
