// The official AWS SDK for JavaScript v3 pointed at the emulator served on 127.0.0.1: our proof
// that the emulator speaks the service's real wire format. The SDK serializes, signs, parses
// dates and blobs and maps error types to its exception classes with code generated from the
// service model, and shares no code with the emulator.
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  InvalidNextTokenException,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretsCommand,
  type ListSecretsCommandOutput,
  PutSecretValueCommand,
  paginateBatchGetSecretValue,
  paginateListSecrets,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
  SecretsManagerServiceException,
  type SecretValueEntry,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createEmulator, type Emulator } from '../../../src/emulator/index.js'
import { type ServedHandler, serve } from '../../../src/node/serve.js'

const CREDENTIALS = { accessKeyId: 'AKIDSDKTESTEXAMPLE', secretAccessKey: 'sdk-test-secret-key' }
const REGION = 'us-east-1'
const ACCOUNT_ID = '123456789012'
const DAY_MS = 86_400_000
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const NOT_FOUND = "Secrets Manager can't find the specified secret."
// The emulator's clock stands still at the moment the file starts, so dates can be asserted
// exactly. The SDK signs with the real clock, which stays well within the 15 minutes of skew that
// SigV4 allows while this file runs.
const NOW_MS = Date.now()

let emulator: Emulator
let served: ServedHandler
const clients: SecretsManagerClient[] = []
let sdk: SecretsManagerClient
let counter = 0

/** A name no other test uses. It never ends in `-` plus 6 characters, which ARNs reserve. */
const uniqueName = (label: string) => `sdk/${label}/${++counter}`

/** An SDK client for the served emulator; one attempt unless a test asks for retries. */
function client(overrides: Partial<SecretsManagerClientConfig> = {}): SecretsManagerClient {
  const created = new SecretsManagerClient({
    endpoint: served.url,
    region: REGION,
    credentials: CREDENTIALS,
    maxAttempts: 1,
    ...overrides,
  })
  clients.push(created)
  return created
}

/** Awaits a call that must fail and returns its error, checked against the SDK's class. */
async function rejection<T extends Error>(
  call: Promise<unknown>,
  type: abstract new (...args: never[]) => T
): Promise<T> {
  let error: unknown
  try {
    await call
  } catch (caught) {
    error = caught
  }
  expect(error).toBeInstanceOf(type)
  return error as T
}

/** The status and request id the SDK read from an error response. */
function expectClientError(error: SecretsManagerServiceException, name: string) {
  expect(error).toBeInstanceOf(SecretsManagerServiceException)
  expect(error.name).toBe(name)
  expect(error.$fault).toBe('client')
  expect(error.$metadata.httpStatusCode).toBe(400)
  expect(error.$metadata.requestId).toMatch(UUID)
}

/** Creates a string secret and returns the SDK's answer. */
async function createString(label: string, value = 'initial value') {
  return sdk.send(new CreateSecretCommand({ Name: uniqueName(label), SecretString: value }))
}

beforeAll(async () => {
  // The SDK warns once per process that its later releases need Node 22; this is its own switch.
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true')
  emulator = createEmulator({ credentials: [CREDENTIALS], now: () => NOW_MS })
  served = await serve(emulator.fetch, { host: '127.0.0.1', port: 0 })
  sdk = client()
})

// A fault a failing test did not use up must not reach the next test.
afterEach(() => emulator.clearFaults())

afterAll(async () => {
  for (const created of clients) created.destroy()
  await served?.close()
  vi.unstubAllEnvs()
})

describe('the official AWS SDK against the served emulator', () => {
  describe('CreateSecret and GetSecretValue', () => {
    it('creates a string secret and reads it back, with dates as Date objects', async () => {
      const name = uniqueName('string')
      const created = await sdk.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: '{"user":"app","password":"pw-1"}',
          Description: 'a string secret',
          Tags: [{ Key: 'team', Value: 'edge' }],
        })
      )
      expect(created.$metadata.httpStatusCode).toBe(200)
      expect(created.$metadata.requestId).toMatch(UUID)
      expect(created.Name).toBe(name)
      expect(created.ARN).toMatch(
        new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${name}-[A-Za-z0-9]{6}$`)
      )

      const read = await sdk.send(new GetSecretValueCommand({ SecretId: name }))
      expect(read).toMatchObject({
        ARN: created.ARN,
        Name: name,
        VersionId: created.VersionId,
        SecretString: '{"user":"app","password":"pw-1"}',
        VersionStages: ['AWSCURRENT'],
      })
      expect(read.SecretBinary).toBeUndefined()
      expect(read.CreatedDate).toBeInstanceOf(Date)
      expect(read.CreatedDate).toEqual(new Date(NOW_MS))
    })

    it('makes a version from the ClientRequestToken the SDK generates', async () => {
      const created = await createString('auto-token')
      expect(created.VersionId).toMatch(UUID)

      const described = await sdk.send(new DescribeSecretCommand({ SecretId: created.ARN }))
      expect(described.VersionIdsToStages).toEqual({
        [created.VersionId as string]: ['AWSCURRENT'],
      })
    })

    it('finds a secret by its full ARN', async () => {
      const created = await createString('by-arn', 'by arn')
      const read = await sdk.send(new GetSecretValueCommand({ SecretId: created.ARN }))
      expect(read.SecretString).toBe('by arn')
    })

    it('round-trips all 256 byte values as SecretBinary', async () => {
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
      const name = uniqueName('bytes')
      await sdk.send(new CreateSecretCommand({ Name: name, SecretBinary: bytes }))

      const read = await sdk.send(new GetSecretValueCommand({ SecretId: name }))
      expect(read.SecretString).toBeUndefined()
      expect(read.SecretBinary).toBeInstanceOf(Uint8Array)
      expect(Array.from(read.SecretBinary ?? [])).toEqual(Array.from(bytes))
    })

    it('round-trips a 65,536-byte binary secret, the largest allowed', async () => {
      const bytes = crypto.getRandomValues(new Uint8Array(65_536))
      const name = uniqueName('large-binary')
      await sdk.send(new CreateSecretCommand({ Name: name, SecretBinary: bytes }))

      const read = await sdk.send(new GetSecretValueCommand({ SecretId: name }))
      expect(read.SecretBinary?.byteLength).toBe(65_536)
      expect(Buffer.from(read.SecretBinary ?? []).equals(Buffer.from(bytes))).toBe(true)
    })

    it('creates a secret without a value, which has no version to read yet', async () => {
      const name = uniqueName('no-value')
      const created = await sdk.send(new CreateSecretCommand({ Name: name }))
      expect(created.VersionId).toBeUndefined()

      const error = await rejection(
        sdk.send(new GetSecretValueCommand({ SecretId: name })),
        ResourceNotFoundException
      )
      expectClientError(error, 'ResourceNotFoundException')
    })

    it('treats a repeated ClientRequestToken with the same value as a no-op', async () => {
      const name = uniqueName('replay')
      const token = crypto.randomUUID()
      const input = { Name: name, SecretString: 'same', ClientRequestToken: token }
      const first = await sdk.send(new CreateSecretCommand(input))
      const again = await sdk.send(new CreateSecretCommand(input))
      expect(again.VersionId).toBe(token)
      expect(again.ARN).toBe(first.ARN)
    })
  })

  describe('PutSecretValue and UpdateSecret', () => {
    it('moves AWSCURRENT to each new version and AWSPREVIOUS to the one before', async () => {
      const created = await createString('rotate', 'v1')
      const name = created.Name as string
      const put = await sdk.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2' }))
      expect(put.VersionId).toMatch(UUID)
      expect(put.VersionStages).toEqual(['AWSCURRENT'])
      const updated = await sdk.send(
        new UpdateSecretCommand({ SecretId: name, SecretString: 'v3' })
      )
      expect(updated.VersionId).toMatch(UUID)

      const described = await sdk.send(new DescribeSecretCommand({ SecretId: name }))
      expect(described.VersionIdsToStages).toEqual({
        [put.VersionId as string]: ['AWSPREVIOUS'],
        [updated.VersionId as string]: ['AWSCURRENT'],
      })
      const current = await sdk.send(new GetSecretValueCommand({ SecretId: name }))
      expect(current.SecretString).toBe('v3')
      const previous = await sdk.send(
        new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' })
      )
      expect(previous.SecretString).toBe('v2')
      const first = await sdk.send(
        new GetSecretValueCommand({ SecretId: name, VersionId: created.VersionId })
      )
      expect(first.SecretString).toBe('v1')
    })

    it('attaches exactly the VersionStages given to PutSecretValue', async () => {
      const created = await createString('stages', 'current')
      const name = created.Name as string
      const put = await sdk.send(
        new PutSecretValueCommand({
          SecretId: name,
          SecretString: 'pending',
          VersionStages: ['AWSPENDING'],
        })
      )
      expect(put.VersionStages).toEqual(['AWSPENDING'])

      const current = await sdk.send(new GetSecretValueCommand({ SecretId: name }))
      expect(current.SecretString).toBe('current')
      const pending = await sdk.send(
        new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPENDING' })
      )
      expect(pending.SecretString).toBe('pending')
    })

    it('stores binary values given to PutSecretValue and UpdateSecret', async () => {
      const created = await createString('binary-writes')
      const name = created.Name as string
      await sdk.send(
        new PutSecretValueCommand({ SecretId: name, SecretBinary: Uint8Array.of(0, 1, 254, 255) })
      )
      expect(
        Array.from(
          (await sdk.send(new GetSecretValueCommand({ SecretId: name }))).SecretBinary ?? []
        )
      ).toEqual([0, 1, 254, 255])

      await sdk.send(new UpdateSecretCommand({ SecretId: name, SecretBinary: Uint8Array.of(7) }))
      expect(
        Array.from(
          (await sdk.send(new GetSecretValueCommand({ SecretId: name }))).SecretBinary ?? []
        )
      ).toEqual([7])
    })

    it('changes only the description without creating a version', async () => {
      const created = await createString('describe-only')
      const updated = await sdk.send(
        new UpdateSecretCommand({ SecretId: created.ARN, Description: 'now described' })
      )
      expect(updated.VersionId).toBeUndefined()
      expect(updated.ARN).toBe(created.ARN)

      const described = await sdk.send(new DescribeSecretCommand({ SecretId: created.ARN }))
      expect(described.Description).toBe('now described')
      expect(described.VersionIdsToStages).toEqual({
        [created.VersionId as string]: ['AWSCURRENT'],
      })
    })

    it('refuses a known ClientRequestToken with another value with ResourceExistsException', async () => {
      const created = await createString('token-clash', 'original')
      const error = await rejection(
        sdk.send(
          new PutSecretValueCommand({
            SecretId: created.ARN,
            SecretString: 'different',
            ClientRequestToken: created.VersionId,
          })
        ),
        ResourceExistsException
      )
      expectClientError(error, 'ResourceExistsException')
    })
  })

  describe('DescribeSecret', () => {
    it('describes a secret with its metadata and dates as Date objects', async () => {
      const name = uniqueName('describe')
      const created = await sdk.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: 'described',
          Description: 'for DescribeSecret',
          Tags: [{ Key: 'env', Value: 'test' }],
        })
      )
      await sdk.send(new GetSecretValueCommand({ SecretId: name }))

      const described = await sdk.send(new DescribeSecretCommand({ SecretId: name }))
      expect(described).toMatchObject({
        ARN: created.ARN,
        Name: name,
        Description: 'for DescribeSecret',
        Tags: [{ Key: 'env', Value: 'test' }],
        VersionIdsToStages: { [created.VersionId as string]: ['AWSCURRENT'] },
      })
      expect(described.CreatedDate).toEqual(new Date(NOW_MS))
      expect(described.LastChangedDate).toEqual(new Date(NOW_MS))
      // The service records the day of the last access, not the moment.
      expect(described.LastAccessedDate).toEqual(new Date(NOW_MS - (NOW_MS % DAY_MS)))
      expect(described.DeletedDate).toBeUndefined()
    })
  })

  describe('DeleteSecret and RestoreSecret', () => {
    it('schedules a deletion after the recovery window, during which reads and writes fail', async () => {
      const created = await createString('pending-deletion')
      const name = created.Name as string
      const deleted = await sdk.send(
        new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 })
      )
      expect(deleted).toMatchObject({ ARN: created.ARN, Name: name })
      expect(deleted.DeletionDate).toEqual(new Date(NOW_MS + 7 * DAY_MS))

      for (const command of [
        new GetSecretValueCommand({ SecretId: name }),
        new PutSecretValueCommand({ SecretId: name, SecretString: 'new' }),
        new UpdateSecretCommand({ SecretId: name, SecretString: 'new' }),
        new CreateSecretCommand({ Name: name, SecretString: 'again' }),
      ]) {
        // biome-ignore lint/suspicious/noExplicitAny: one loop over commands of different shapes
        const error = await rejection(sdk.send(command as any), InvalidRequestException)
        expectClientError(error, 'InvalidRequestException')
      }

      const described = await sdk.send(new DescribeSecretCommand({ SecretId: name }))
      expect(described.DeletedDate).toEqual(new Date(NOW_MS + 7 * DAY_MS))
    })

    it('defaults the recovery window to 30 days', async () => {
      const created = await createString('default-window')
      const deleted = await sdk.send(new DeleteSecretCommand({ SecretId: created.ARN }))
      expect(deleted.DeletionDate).toEqual(new Date(NOW_MS + 30 * DAY_MS))
    })

    it('restores a secret pending deletion, which can then be read again', async () => {
      const created = await createString('restore', 'kept')
      await sdk.send(new DeleteSecretCommand({ SecretId: created.ARN }))

      const restored = await sdk.send(new RestoreSecretCommand({ SecretId: created.ARN }))
      expect(restored).toMatchObject({ ARN: created.ARN, Name: created.Name })
      const read = await sdk.send(new GetSecretValueCommand({ SecretId: created.ARN }))
      expect(read.SecretString).toBe('kept')
      const described = await sdk.send(new DescribeSecretCommand({ SecretId: created.ARN }))
      expect(described.DeletedDate).toBeUndefined()
    })

    it('deletes at once with ForceDeleteWithoutRecovery, freeing the name', async () => {
      const created = await createString('force')
      const name = created.Name as string
      const deleted = await sdk.send(
        new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })
      )
      expect(deleted.DeletionDate).toEqual(new Date(NOW_MS))

      await rejection(
        sdk.send(new DescribeSecretCommand({ SecretId: name })),
        ResourceNotFoundException
      )
      const recreated = await sdk.send(new CreateSecretCommand({ Name: name, SecretString: 'x' }))
      expect(recreated.ARN).not.toBe(created.ARN)
    })

    it('force-deletes a secret that does not exist without an error', async () => {
      const deleted = await sdk.send(
        new DeleteSecretCommand({ SecretId: uniqueName('never'), ForceDeleteWithoutRecovery: true })
      )
      expect(deleted.$metadata.httpStatusCode).toBe(200)
    })

    it('refuses a recovery window of 3 days with InvalidParameterException', async () => {
      const created = await createString('window-3')
      const error = await rejection(
        sdk.send(new DeleteSecretCommand({ SecretId: created.ARN, RecoveryWindowInDays: 3 })),
        InvalidParameterException
      )
      expectClientError(error, 'InvalidParameterException')
    })

    it('refuses a recovery window with ForceDeleteWithoutRecovery with InvalidParameterException', async () => {
      const created = await createString('window-and-force')
      const error = await rejection(
        sdk.send(
          new DeleteSecretCommand({
            SecretId: created.ARN,
            RecoveryWindowInDays: 7,
            ForceDeleteWithoutRecovery: true,
          })
        ),
        InvalidParameterException
      )
      expectClientError(error, 'InvalidParameterException')
    })

    it('refuses to restore a secret that does not exist with ResourceNotFoundException', async () => {
      const error = await rejection(
        sdk.send(new RestoreSecretCommand({ SecretId: uniqueName('missing') })),
        ResourceNotFoundException
      )
      expectClientError(error, 'ResourceNotFoundException')
    })
  })

  describe('ListSecrets', () => {
    it('pages through every match with paginateListSecrets', async () => {
      const prefix = `${uniqueName('list')}/`
      // The emulator's clock stands still, so equal creation dates sort by name.
      const names = Array.from({ length: 5 }, (_, i) => `${prefix}item-${i}`)
      const versions: string[] = []
      for (const name of names) {
        const created = await sdk.send(new CreateSecretCommand({ Name: name, SecretString: name }))
        versions.push(created.VersionId as string)
      }

      const pages: ListSecretsCommandOutput[] = []
      for await (const page of paginateListSecrets(
        { client: sdk, pageSize: 2 },
        { Filters: [{ Key: 'name', Values: [prefix] }] }
      )) {
        pages.push(page)
      }
      expect(pages.map((page) => page.SecretList?.length)).toEqual([2, 2, 1])
      expect(pages.at(-1)?.NextToken).toBeUndefined()
      const entries = pages.flatMap((page) => page.SecretList ?? [])
      expect(entries.map((entry) => entry.Name)).toEqual(names)
      expect(entries[0]?.SecretVersionsToStages).toEqual({
        [versions[0] as string]: ['AWSCURRENT'],
      })
      expect(entries[0]?.CreatedDate).toEqual(new Date(NOW_MS))
      expect(entries[0]?.LastChangedDate).toBeInstanceOf(Date)
    })

    it('sorts by name in descending order when asked', async () => {
      const prefix = `${uniqueName('sorted')}/`
      for (const suffix of ['b', 'c', 'a']) {
        await sdk.send(
          new CreateSecretCommand({ Name: `${prefix}${suffix}`, SecretString: suffix })
        )
      }

      const listed = await sdk.send(
        new ListSecretsCommand({
          Filters: [{ Key: 'name', Values: [prefix] }],
          SortBy: 'name',
          SortOrder: 'desc',
        })
      )
      expect(listed.SecretList?.map((entry) => entry.Name)).toEqual(
        ['c', 'b', 'a'].map((suffix) => `${prefix}${suffix}`)
      )
    })

    it('leaves out secrets pending deletion unless IncludePlannedDeletion is set', async () => {
      const created = await createString('list-deleted')
      const name = created.Name as string
      await sdk.send(new DeleteSecretCommand({ SecretId: name }))
      const filters = [{ Key: 'name' as const, Values: [name] }]

      const listed = await sdk.send(new ListSecretsCommand({ Filters: filters }))
      expect(listed.SecretList).toEqual([])
      const withDeleted = await sdk.send(
        new ListSecretsCommand({ Filters: filters, IncludePlannedDeletion: true })
      )
      expect(withDeleted.SecretList?.map((entry) => entry.Name)).toEqual([name])
      expect(withDeleted.SecretList?.[0]?.DeletedDate).toEqual(new Date(NOW_MS + 30 * DAY_MS))
    })

    it('refuses a NextToken it did not issue with InvalidNextTokenException', async () => {
      const error = await rejection(
        sdk.send(new ListSecretsCommand({ NextToken: 'not-a-token-the-emulator-issued' })),
        InvalidNextTokenException
      )
      expectClientError(error, 'InvalidNextTokenException')
    })
  })

  describe('BatchGetSecretValue', () => {
    it('reads the secrets of a SecretIdList and reports a missing one in Errors', async () => {
      const text = await createString('batch-text', 'text value')
      const binaryName = uniqueName('batch-binary')
      await sdk.send(
        new CreateSecretCommand({ Name: binaryName, SecretBinary: Uint8Array.of(0, 128, 255) })
      )
      const missing = uniqueName('batch-missing')

      const batch = await sdk.send(
        new BatchGetSecretValueCommand({ SecretIdList: [text.ARN as string, binaryName, missing] })
      )
      expect(batch.SecretValues).toHaveLength(2)
      expect(batch.SecretValues?.[0]).toMatchObject({
        ARN: text.ARN,
        Name: text.Name,
        VersionId: text.VersionId,
        SecretString: 'text value',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: new Date(NOW_MS),
      })
      expect(batch.SecretValues?.[1]?.Name).toBe(binaryName)
      expect(Array.from(batch.SecretValues?.[1]?.SecretBinary ?? [])).toEqual([0, 128, 255])
      expect(batch.Errors).toEqual([
        { SecretId: missing, ErrorCode: 'ResourceNotFoundException', Message: NOT_FOUND },
      ])
    })

    it('reads every secret matched by Filters, page by page', async () => {
      const prefix = `${uniqueName('batch-filter')}/`
      const names = Array.from({ length: 3 }, (_, i) => `${prefix}item-${i}`)
      for (const name of names) {
        await sdk.send(new CreateSecretCommand({ Name: name, SecretString: `value of ${name}` }))
      }

      const values: SecretValueEntry[] = []
      let pageCount = 0
      for await (const page of paginateBatchGetSecretValue(
        { client: sdk, pageSize: 2 },
        { Filters: [{ Key: 'name', Values: [prefix] }] }
      )) {
        pageCount++
        expect(page.Errors ?? []).toEqual([])
        values.push(...(page.SecretValues ?? []))
      }
      expect(pageCount).toBe(2)
      expect(values.map(({ Name, SecretString }) => ({ Name, SecretString }))).toEqual(
        names.map((name) => ({ Name: name, SecretString: `value of ${name}` }))
      )
    })

    it('refuses SecretIdList together with Filters with InvalidParameterException', async () => {
      const error = await rejection(
        sdk.send(
          new BatchGetSecretValueCommand({
            SecretIdList: ['anything'],
            Filters: [{ Key: 'name', Values: ['anything'] }],
          })
        ),
        InvalidParameterException
      )
      expectClientError(error, 'InvalidParameterException')
    })
  })

  describe('GetRandomPassword', () => {
    it('generates a password of the requested length with each included type', async () => {
      const { RandomPassword } = await sdk.send(
        new GetRandomPasswordCommand({ PasswordLength: 40, ExcludePunctuation: true })
      )
      expect(RandomPassword).toMatch(/^[A-Za-z0-9]{40}$/)
      expect(RandomPassword).toMatch(/[A-Z]/)
      expect(RandomPassword).toMatch(/[a-z]/)
      expect(RandomPassword).toMatch(/[0-9]/)
    })

    it('defaults to 32 printable characters and honours ExcludeCharacters', async () => {
      const { RandomPassword } = await sdk.send(
        new GetRandomPasswordCommand({ ExcludeCharacters: 'abcABC012', ExcludeNumbers: false })
      )
      expect(RandomPassword).toMatch(/^[!-~]{32}$/)
      expect(RandomPassword).not.toMatch(/[abcABC012]/)
    })
  })

  describe('modeled errors', () => {
    it('arrive as ResourceNotFoundException for an unknown secret', async () => {
      const error = await rejection(
        sdk.send(new GetSecretValueCommand({ SecretId: uniqueName('unknown') })),
        ResourceNotFoundException
      )
      expectClientError(error, 'ResourceNotFoundException')
      expect(error.message).toBe(NOT_FOUND)
    })

    it('arrive as ResourceExistsException for a name that is taken', async () => {
      const created = await createString('taken')
      const error = await rejection(
        sdk.send(new CreateSecretCommand({ Name: created.Name, SecretString: 'other' })),
        ResourceExistsException
      )
      expectClientError(error, 'ResourceExistsException')
    })

    it('arrive as InvalidParameterException for both a string and a binary value', async () => {
      const error = await rejection(
        sdk.send(
          new CreateSecretCommand({
            Name: uniqueName('both-values'),
            SecretString: 'text',
            SecretBinary: Uint8Array.of(1),
          })
        ),
        InvalidParameterException
      )
      expectClientError(error, 'InvalidParameterException')
    })

    it('arrive as InvalidRequestException when VersionId and VersionStage disagree', async () => {
      const created = await createString('stage-mismatch')
      const error = await rejection(
        sdk.send(
          new GetSecretValueCommand({
            SecretId: created.ARN,
            VersionId: created.VersionId,
            VersionStage: 'AWSPREVIOUS',
          })
        ),
        InvalidRequestException
      )
      expectClientError(error, 'InvalidRequestException')
    })
  })

  describe('unmodeled errors', () => {
    it('arrive as a SecretsManagerServiceException named ValidationException for a bad name', async () => {
      const error = await rejection(
        sdk.send(new CreateSecretCommand({ Name: 'no spaces allowed', SecretString: 'x' })),
        SecretsManagerServiceException
      )
      expectClientError(error, 'ValidationException')
    })
  })

  describe('signatures', () => {
    it('refuses the SDK signing with a wrong secret key with InvalidSignatureException', async () => {
      const wrongKey = client({
        credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-key' },
      })
      const error = await rejection(
        wrongKey.send(new ListSecretsCommand({})),
        SecretsManagerServiceException
      )
      expectClientError(error, 'InvalidSignatureException')
    })

    it('accepts temporary credentials, which the SDK signs with X-Amz-Security-Token', async () => {
      const temporary = client({ credentials: { ...CREDENTIALS, sessionToken: 'session-token' } })
      const listed = await temporary.send(new ListSecretsCommand({ MaxResults: 1 }))
      expect(listed.$metadata.httpStatusCode).toBe(200)
    })

    it('refuses an unknown access key with UnrecognizedClientException', async () => {
      const unknownKey = client({
        credentials: { accessKeyId: 'AKIDUNKNOWNEXAMPLE', secretAccessKey: 'whatever' },
      })
      const error = await rejection(
        unknownKey.send(new ListSecretsCommand({})),
        SecretsManagerServiceException
      )
      expectClientError(error, 'UnrecognizedClientException')
    })
  })

  describe('regions', () => {
    it('names the signing region and its partition in ARNs, and keeps regions apart', async () => {
      const name = uniqueName('regional')
      const china = client({ region: 'cn-north-1' })
      const created = await china.send(new CreateSecretCommand({ Name: name, SecretString: 'cn' }))
      expect(created.ARN).toMatch(
        new RegExp(`^arn:aws-cn:secretsmanager:cn-north-1:${ACCOUNT_ID}:secret:${name}-`)
      )

      await rejection(
        sdk.send(new GetSecretValueCommand({ SecretId: name })),
        ResourceNotFoundException
      )
      const read = await china.send(new GetSecretValueCommand({ SecretId: name }))
      expect(read.SecretString).toBe('cn')
    })
  })

  describe('faults and the SDK retry', () => {
    it('succeeds on the second attempt after an injected throttle', async () => {
      const created = await createString('throttled', 'worth the wait')
      const retrying = client({ maxAttempts: 3 })
      emulator.injectFault({ kind: 'throttle', operations: ['GetSecretValue'] })

      const read = await retrying.send(new GetSecretValueCommand({ SecretId: created.ARN }))
      expect(read.SecretString).toBe('worth the wait')
      expect(read.$metadata.attempts).toBe(2)
    })

    it('makes exactly one version when a PutSecretValue response is dropped and retried', async () => {
      const created = await createString('dropped', 'v1')
      const retrying = client({ maxAttempts: 3 })
      emulator.injectFault({ kind: 'drop-response', operations: ['PutSecretValue'] })

      // The SDK generates the ClientRequestToken once and sends it again on the retry.
      const put = await retrying.send(
        new PutSecretValueCommand({ SecretId: created.ARN, SecretString: 'v2' })
      )
      expect(put.$metadata.attempts).toBe(2)

      const described = await sdk.send(new DescribeSecretCommand({ SecretId: created.ARN }))
      expect(described.VersionIdsToStages).toEqual({
        [created.VersionId as string]: ['AWSPREVIOUS'],
        [put.VersionId as string]: ['AWSCURRENT'],
      })
      const read = await sdk.send(new GetSecretValueCommand({ SecretId: created.ARN }))
      expect(read).toMatchObject({ SecretString: 'v2', VersionId: put.VersionId })
    })
  })
})
