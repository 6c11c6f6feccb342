import fc from 'fast-check'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { isSecretsManagerError } from '../../../src/client/index.js'
import { createEmulator } from '../../../src/emulator/index.js'
import { rejection, testClient } from '../../mocks/client.js'
import { until, useFakeTimers } from '../../mocks/clock.js'
import { CREDENTIALS, emulatorHandler, setupEmulatorServer } from '../../mocks/server.js'

const { emulator, server, targets, received } = setupEmulatorServer()

let counter = 0
// Storage is shared by the whole file: every test uses its own names.
function uniqueName(label: string): string {
  counter++
  return `test/${label}/${counter}-${Math.random().toString(36).slice(2, 8)}`
}

const sm = testClient()

describe('SecretsManagerClient against the emulator', () => {
  describe('operations', () => {
    it('runs a secret through its whole lifecycle', async () => {
      const Name = uniqueName('lifecycle')
      const created = await sm.createSecret({
        Name,
        SecretString: 'v1',
        Description: 'first',
        Tags: [{ Key: 'team', Value: 'edge' }],
      })
      expect(created.ARN).toMatch(
        new RegExp(`^arn:aws:secretsmanager:us-east-1:\\d{12}:secret:${Name}-[A-Za-z0-9]{6}$`)
      )
      expect(created.Name).toBe(Name)
      const v1 = created.VersionId ?? ''
      expect(v1).toMatch(/^[0-9a-f-]{36}$/)

      const read = await sm.getSecretValue({ SecretId: Name })
      expect(read).toMatchObject({
        Name,
        SecretString: 'v1',
        VersionId: v1,
        VersionStages: ['AWSCURRENT'],
      })
      expect(read.CreatedDate).toBeInstanceOf(Date)

      const put = await sm.putSecretValue({ SecretId: Name, SecretString: 'v2' })
      expect(put.VersionStages).toEqual(['AWSCURRENT'])
      const onlyMetadata = await sm.updateSecret({ SecretId: Name, Description: 'second' })
      expect(onlyMetadata.VersionId).toBeUndefined()
      const updated = await sm.updateSecret({ SecretId: Name, SecretString: 'v3' })
      expect(updated.VersionId).toBeDefined()

      expect(await sm.getSecretString(Name)).toBe('v3')
      expect(await sm.getSecretString(Name, { VersionStage: 'AWSPREVIOUS' })).toBe('v2')
      expect(await sm.getSecretString(Name, { VersionId: v1 })).toBe('v1')

      const described = await sm.describeSecret({ SecretId: created.ARN ?? '' })
      expect(described).toMatchObject({
        Name,
        Description: 'second',
        Tags: [{ Key: 'team', Value: 'edge' }],
      })
      expect(described.VersionIdsToStages).toEqual({
        [put.VersionId ?? '']: ['AWSPREVIOUS'],
        [updated.VersionId ?? '']: ['AWSCURRENT'],
      })
      expect(described.LastChangedDate).toBeInstanceOf(Date)

      const deleted = await sm.deleteSecret({ SecretId: Name, RecoveryWindowInDays: 7 })
      expect(deleted.DeletionDate).toBeInstanceOf(Date)
      expect((await sm.describeSecret({ SecretId: Name })).DeletedDate).toBeInstanceOf(Date)
      const pending = await rejection(sm.getSecretValue({ SecretId: Name }))
      expect(isSecretsManagerError(pending, 'InvalidRequestException')).toBe(true)

      expect(await sm.restoreSecret({ SecretId: Name })).toMatchObject({ Name })
      expect((await sm.describeSecret({ SecretId: Name })).DeletedDate).toBeUndefined()
      expect(await sm.getSecretString(Name)).toBe('v3')

      await sm.deleteSecret({ SecretId: Name, ForceDeleteWithoutRecovery: true })
      const gone = await rejection(sm.describeSecret({ SecretId: Name }))
      expect(gone).toMatchObject({
        code: 'ResourceNotFoundException',
        status: 400,
        retryable: false,
      })
      expect((gone as { requestId?: string }).requestId).toBeTruthy()
    })

    it('reports service errors with their code', async () => {
      const Name = uniqueName('exists')
      await sm.createSecret({ Name })
      const exists = await rejection(sm.createSecret({ Name, SecretString: 'x' }))
      expect(isSecretsManagerError(exists, 'ResourceExistsException')).toBe(true)
      const noVersion = await rejection(sm.getSecretValue({ SecretId: Name }))
      expect(isSecretsManagerError(noVersion, 'ResourceNotFoundException')).toBe(true)
      expect(targets).toEqual(['CreateSecret', 'CreateSecret', 'GetSecretValue'])
    })

    it('generates random passwords', async () => {
      const { RandomPassword } = await sm.getRandomPassword({
        PasswordLength: 40,
        ExcludePunctuation: true,
      })
      expect(RandomPassword).toMatch(/^[A-Za-z0-9]{40}$/)
      expect((await sm.getRandomPassword()).RandomPassword).toHaveLength(32)
    })

    it('lists secrets page by page and through paginateListSecrets', async () => {
      const prefix = uniqueName('list')
      for (const suffix of ['a', 'b', 'c']) await sm.createSecret({ Name: `${prefix}/${suffix}` })
      const Filters = [{ Key: 'name' as const, Values: [prefix] }]

      const first = await sm.listSecrets({
        Filters,
        MaxResults: 2,
        SortBy: 'name',
        SortOrder: 'asc',
      })
      expect(first.SecretList?.map((s) => s.Name)).toEqual([`${prefix}/a`, `${prefix}/b`])
      expect(first.NextToken).toBeDefined()
      expect(first.SecretList?.[0]?.CreatedDate).toBeInstanceOf(Date)

      const names: string[] = []
      for await (const page of sm.paginateListSecrets({ Filters, MaxResults: 1 })) {
        for (const secret of page.SecretList ?? []) names.push(secret.Name ?? '')
      }
      expect(names.sort()).toEqual([`${prefix}/a`, `${prefix}/b`, `${prefix}/c`])
    })

    it('reads several values with batchGetSecretValue, reporting failures per secret', async () => {
      const a = uniqueName('batch')
      const b = uniqueName('batch')
      await sm.createSecret({ Name: a, SecretString: 'A' })
      await sm.createSecret({ Name: b, SecretBinary: new Uint8Array([0, 255]) })
      const missing = uniqueName('missing')

      const output = await sm.batchGetSecretValue({ SecretIdList: [a, b, missing] })
      const byName = Object.fromEntries((output.SecretValues ?? []).map((v) => [v.Name, v]))
      expect(byName[a]?.SecretString).toBe('A')
      expect(byName[b]?.SecretBinary).toEqual(new Uint8Array([0, 255]))
      expect(byName[a]?.CreatedDate).toBeInstanceOf(Date)
      expect(output.Errors).toEqual([
        expect.objectContaining({ SecretId: missing, ErrorCode: 'ResourceNotFoundException' }),
      ])
    })

    it('writes with writeSecret: creating first, then adding versions', async () => {
      const Name = uniqueName('write')
      const first = await sm.writeSecret(Name, 'one', { Description: 'made by writeSecret' })
      expect(first.created).toBe(true)
      const second = await sm.writeSecret(Name, 'two')
      expect(second.created).toBe(false)
      expect(await sm.getSecretString(Name)).toBe('two')
      expect((await sm.describeSecret({ SecretId: Name })).Description).toBe('made by writeSecret')
      expect(await sm.getSecretJson(Name).catch((e: unknown) => e)).toMatchObject({
        code: 'InvalidJsonError',
      })
      await sm.writeSecret(Name, JSON.stringify({ user: 'app' }))
      expect(await sm.getSecretJson<{ user: string }>(Name)).toEqual({ user: 'app' })
    })
  })

  describe('round trips', () => {
    const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i)

    it('keeps all 256 byte values', async () => {
      const Name = uniqueName('bytes')
      await sm.createSecret({ Name, SecretBinary: allBytes })
      expect(await sm.getSecretBinary(Name)).toEqual(allBytes)
      await sm.putSecretValue({ SecretId: Name, SecretBinary: allBytes.slice().reverse().buffer })
      expect(await sm.getSecretBinary(Name)).toEqual(allBytes.slice().reverse())
    })

    it('keeps a 65,536-byte binary and a 65,536-character string', async () => {
      const Name = uniqueName('big')
      const big = Uint8Array.from({ length: 65_536 }, (_, i) => (i * 7 + 3) & 0xff)
      await sm.writeSecret(Name, big)
      const read = await sm.getSecretBinary(Name)
      expect(Buffer.from(read).equals(Buffer.from(big))).toBe(true)

      const text = 'é'.repeat(65_536)
      await sm.writeSecret(Name, text)
      expect(await sm.getSecretString(Name)).toBe(text)
    })

    it("keeps 65,536 '🔑': the limit counts code points, not UTF-16 units", async () => {
      const Name = uniqueName('keys')
      const keys = '🔑'.repeat(65_536)
      await sm.writeSecret(Name, keys)
      expect(await sm.getSecretString(Name)).toBe(keys)
      const over = await rejection(sm.writeSecret(Name, `${keys}🔑`))
      expect(isSecretsManagerError(over, 'ValidationException')).toBe(true)
    })

    it('keeps any string and any bytes', async () => {
      const Name = uniqueName('prop')
      await sm.createSecret({ Name })
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }),
            fc.uint8Array({ minLength: 1, maxLength: 3000 })
          ),
          async (value) => {
            await sm.writeSecret(Name, value)
            const read = await sm.getSecretValue({ SecretId: Name })
            if (typeof value === 'string') expect(read.SecretString).toBe(value)
            else expect(read.SecretBinary).toEqual(value)
          }
        ),
        { numRuns: 40 }
      )
    })
  })

  // until() waits up to 10 s of real time; let it report first.
  describe('faults', { timeout: 20_000 }, () => {
    it('retries throttling, then succeeds', async () => {
      const Name = uniqueName('throttle')
      await sm.createSecret({ Name, SecretString: 's' })
      targets.length = 0
      emulator.injectFault({ kind: 'throttle', operations: ['GetSecretValue'], count: 2 })
      expect(await sm.getSecretString(Name)).toBe('s')
      expect(targets).toEqual(['GetSecretValue', 'GetSecretValue', 'GetSecretValue'])
    })

    it('retries 5xx, and gives up with the last error after maxAttempts', async () => {
      const Name = uniqueName('5xx')
      await sm.createSecret({ Name, SecretString: 's' })
      emulator.injectFault({ kind: 'server-error', operations: ['DescribeSecret'] })
      emulator.injectFault({ kind: 'server-error', status: 503, operations: ['DescribeSecret'] })
      await expect(sm.describeSecret({ SecretId: Name })).resolves.toMatchObject({ Name })

      emulator.injectFault({ kind: 'server-error', operations: ['DescribeSecret'], count: 3 })
      targets.length = 0
      const error = await rejection(sm.describeSecret({ SecretId: Name }))
      expect(error).toMatchObject({ code: 'InternalServiceError', status: 500, retryable: true })
      expect(targets).toHaveLength(3)
    })

    it('retries a network error', async () => {
      const Name = uniqueName('network')
      await sm.createSecret({ Name, SecretString: 's' })
      targets.length = 0
      emulator.injectFault({ kind: 'drop-response', operations: ['GetSecretValue'] })
      expect(await sm.getSecretString(Name)).toBe('s')
      expect(targets).toEqual(['GetSecretValue', 'GetSecretValue'])
    })

    it('times out a slow attempt and retries it', async () => {
      const Name = uniqueName('slow')
      await sm.createSecret({ Name, SecretString: 's' })
      useFakeTimers()
      targets.length = 0
      emulator.injectFault({ kind: 'latency', ms: 60_000, operations: ['GetSecretValue'] })
      const read = testClient({ timeoutMs: 1000 }).getSecretString(Name)
      // Pending: the emulator's 60 s latency and the client's 1 s attempt timeout.
      await until(() => targets.length === 1 && vi.getTimerCount() === 2)
      vi.advanceTimersByTime(1000)
      await until(() => targets.length === 2)
      expect(await read).toBe('s')
    })

    it('stops when the caller aborts during the backoff', async () => {
      const Name = uniqueName('abort')
      await sm.createSecret({ Name, SecretString: 's' })
      useFakeTimers()
      targets.length = 0
      emulator.injectFault({ kind: 'throttle', count: 5 })
      const controller = new AbortController()
      const read = rejection(
        testClient({ random: () => 0.9, timeoutMs: 0 }).getSecretString(Name, {
          signal: controller.signal,
        })
      )
      await until(() => targets.length === 1 && vi.getTimerCount() === 1) // in a 450 ms backoff
      controller.abort()
      const error = await read
      expect((error as Error).name).toBe('AbortError')
      expect(vi.getTimerCount()).toBe(0)
      expect(targets).toHaveLength(1)
    })

    it('does not retry LimitExceededException once a secret has 100 versions younger than a day', async () => {
      const Name = uniqueName('versions')
      await sm.createSecret({ Name, SecretString: 'v0' })
      for (let i = 1; i < 100; i++) {
        await sm.putSecretValue({ SecretId: Name, SecretString: `v${i}` })
      }
      targets.length = 0
      const error = await rejection(sm.putSecretValue({ SecretId: Name, SecretString: 'v100' }))
      expect(error).toMatchObject({ code: 'LimitExceededException', retryable: false })
      expect(targets).toEqual(['PutSecretValue'])
    })

    it('stops retrying once the retry quota is exhausted', async () => {
      const Name = uniqueName('quota')
      await sm.createSecret({ Name, SecretString: 's' })
      const patient = testClient({ maxAttempts: 1000 })
      emulator.injectFault({ kind: 'server-error', operations: ['GetSecretValue'], count: 1000 })
      targets.length = 0
      await rejection(patient.getSecretValue({ SecretId: Name }))
      expect(targets).toHaveLength(51) // 500 tokens, 10 per retry after a 5xx
      targets.length = 0
      await rejection(patient.getSecretValue({ SecretId: Name }))
      expect(targets).toHaveLength(1)
    })

    describe('a write committed whose response was lost is retried into exactly one version', () => {
      it('createSecret', async () => {
        const Name = uniqueName('lost-create')
        emulator.injectFault({ kind: 'drop-response', operations: ['CreateSecret'] })
        const created = await sm.createSecret({ Name, SecretString: 'only' })
        expect(targets).toEqual(['CreateSecret', 'CreateSecret'])
        const { VersionIdsToStages } = await sm.describeSecret({ SecretId: Name })
        expect(VersionIdsToStages).toEqual({ [created.VersionId ?? '']: ['AWSCURRENT'] })
      })

      it('createSecret without a value, whose retry answers as the first attempt', async () => {
        const Name = uniqueName('lost-empty-create')
        emulator.injectFault({ kind: 'drop-response', operations: ['CreateSecret'] })
        const created = await sm.createSecret({ Name, Description: 'no value yet' })
        expect(targets).toEqual(['CreateSecret', 'CreateSecret'])
        expect(created).toEqual({ ARN: expect.stringContaining(Name), Name })
        const described = await sm.describeSecret({ SecretId: Name })
        expect(described.Description).toBe('no value yet')
        expect(described.VersionIdsToStages).toBeUndefined()
      })

      it('putSecretValue', async () => {
        const Name = uniqueName('lost-put')
        const { VersionId: original } = await sm.createSecret({ Name, SecretString: 'one' })
        emulator.injectFault({ kind: 'drop-response', operations: ['PutSecretValue'] })
        targets.length = 0
        const put = await sm.putSecretValue({ SecretId: Name, SecretString: 'two' })
        expect(targets).toEqual(['PutSecretValue', 'PutSecretValue'])
        const { VersionIdsToStages } = await sm.describeSecret({ SecretId: Name })
        expect(VersionIdsToStages).toEqual({
          [original ?? '']: ['AWSPREVIOUS'],
          [put.VersionId ?? '']: ['AWSCURRENT'],
        })
      })

      it('updateSecret', async () => {
        const Name = uniqueName('lost-update')
        const { VersionId: original } = await sm.createSecret({ Name, SecretString: 'one' })
        emulator.injectFault({ kind: 'drop-response', operations: ['UpdateSecret'] })
        targets.length = 0
        const updated = await sm.updateSecret({ SecretId: Name, SecretString: 'two' })
        expect(targets).toEqual(['UpdateSecret', 'UpdateSecret'])
        const { VersionIdsToStages } = await sm.describeSecret({ SecretId: Name })
        expect(VersionIdsToStages).toEqual({
          [original ?? '']: ['AWSPREVIOUS'],
          [updated.VersionId ?? '']: ['AWSCURRENT'],
        })
        expect(await sm.getSecretString(Name)).toBe('two')
      })

      it('writeSecret', async () => {
        const Name = uniqueName('lost-write')
        emulator.injectFault({ kind: 'drop-response', operations: ['CreateSecret'] })
        const written = await sm.writeSecret(Name, 'value')
        expect(written.created).toBe(true)
        const { VersionIdsToStages } = await sm.describeSecret({ SecretId: Name })
        expect(VersionIdsToStages).toEqual({ [written.VersionId ?? '']: ['AWSCURRENT'] })
      })
    })
  })

  describe('signing', () => {
    it('is rejected by the emulator with a wrong secret key, and not retried', async () => {
      const wrong = testClient({ credentials: { ...CREDENTIALS, secretAccessKey: 'not-the-key' } })
      const error = await rejection(wrong.listSecrets())
      expect(isSecretsManagerError(error, 'InvalidSignatureException')).toBe(true)
      expect(targets).toHaveLength(1)
    })

    describe('temporary credentials', () => {
      const TEMPORARY = { ...CREDENTIALS, sessionToken: 'IQoJb3JpZ2luEXAMPLE' }
      // This emulator accepts the key pair only together with its session token.
      const strict = createEmulator({ credentials: [TEMPORARY] })

      beforeEach(() => {
        server.use(emulatorHandler(strict))
      })

      it('sends the session token, signed', async () => {
        const withToken = testClient({ credentials: TEMPORARY })
        await expect(withToken.listSecrets({ MaxResults: 1 })).resolves.toBeDefined()
        expect(received).toHaveLength(1)
        const headers = received[0]
        expect(headers?.get('x-amz-security-token')).toBe(TEMPORARY.sessionToken)
        expect(headers?.get('authorization')).toMatch(/SignedHeaders=[^,]*\bx-amz-security-token\b/)
      })

      it('is refused without the session token', async () => {
        const error = await rejection(testClient({ credentials: CREDENTIALS }).listSecrets())
        expect(isSecretsManagerError(error, 'UnrecognizedClientException')).toBe(true)
        expect(received[0]?.has('x-amz-security-token')).toBe(false)
      })
    })

    it('with maxAttempts 1 and the service an hour ahead, fails once and then succeeds', async () => {
      // The emulator refuses signatures more than 15 minutes off its clock.
      const ahead = createEmulator({ now: () => Date.now() + 60 * 60_000 })
      server.use(emulatorHandler(ahead))
      const once = testClient({ maxAttempts: 1 })
      const error = await rejection(once.listSecrets({ MaxResults: 1 }))
      expect(isSecretsManagerError(error, 'InvalidSignatureException')).toBe(true)
      expect(targets).toHaveLength(1)
      await expect(once.listSecrets({ MaxResults: 1 })).resolves.toBeDefined()
      expect(targets).toHaveLength(2)
    })

    it('corrects a skewed clock from the Date header and re-signs', async () => {
      const skewed = testClient({ now: () => Date.now() - 60 * 60_000 })
      await expect(skewed.listSecrets({ MaxResults: 1 })).resolves.toBeDefined()
      expect(targets).toHaveLength(2)
      await skewed.listSecrets({ MaxResults: 1 })
      expect(targets).toHaveLength(3)
    })
  })
})
