// Bad input never crashes the emulator: whatever JSON (or bytes) arrives, the answer is a success
// or an AWS-style client error, never a 500.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createEmulator } from '../../../src/emulator/index.js'
import { signedRequest } from '../../support/call.js'

// Each operation's members in the model, so generated bodies reach deep into its checks.
const MEMBERS: Record<string, string[]> = {
  BatchGetSecretValue: ['SecretIdList', 'Filters', 'MaxResults', 'NextToken'],
  CreateSecret: [
    'Name',
    'ClientRequestToken',
    'Description',
    'KmsKeyId',
    'SecretBinary',
    'SecretString',
    'Tags',
    'AddReplicaRegions',
    'ForceOverwriteReplicaSecret',
    'Type',
  ],
  DeleteSecret: ['SecretId', 'RecoveryWindowInDays', 'ForceDeleteWithoutRecovery'],
  DescribeSecret: ['SecretId'],
  GetRandomPassword: [
    'PasswordLength',
    'ExcludeCharacters',
    'ExcludeNumbers',
    'ExcludePunctuation',
    'ExcludeUppercase',
    'ExcludeLowercase',
    'IncludeSpace',
    'RequireEachIncludedType',
  ],
  GetSecretValue: ['SecretId', 'VersionId', 'VersionStage'],
  ListSecrets: [
    'IncludePlannedDeletion',
    'MaxResults',
    'NextToken',
    'Filters',
    'SortOrder',
    'SortBy',
  ],
  PutSecretValue: [
    'SecretId',
    'ClientRequestToken',
    'SecretBinary',
    'SecretString',
    'VersionStages',
    'RotationToken',
  ],
  RestoreSecret: ['SecretId'],
  UpdateSecret: [
    'SecretId',
    'ClientRequestToken',
    'Description',
    'KmsKeyId',
    'SecretBinary',
    'SecretString',
    'Type',
  ],
}
const OPERATIONS = Object.keys(MEMBERS)

const value = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.constantFrom('AWSCURRENT', 'demo', 'a'.repeat(40), 'AAAA', '!x', 'name'),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('any'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('Key', 'Values', 'Value', 'Region'), tie('any'), {
      maxKeys: 3,
    })
  ),
}))

const call = fc
  .constantFrom(...OPERATIONS)
  .chain((operation) =>
    fc.tuple(
      fc.constant(operation),
      fc.dictionary(
        fc.constantFrom(...(MEMBERS[operation] ?? []), '__proto__', 'constructor'),
        value.any,
        { maxKeys: 8 }
      )
    )
  )

describe('emulator', () => {
  describe('with arbitrary input', () => {
    it('never answers 500 to any JSON body for any operation', async () => {
      const emulator = createEmulator()
      await fc.assert(
        fc.asyncProperty(call, async ([operation, input]) => {
          const response = await emulator.fetch(
            await signedRequest(operation, null, { rawBody: JSON.stringify(input) })
          )
          expect(response.status).toBeLessThan(500)
          const parsed = await response.json()
          if (response.status !== 200) expect(typeof parsed.__type).toBe('string')
        }),
        { numRuns: 1500 }
      )
      // 1,500 signed requests: about 3 s here, far longer on a loaded machine.
    }, 60_000)

    it('never answers 500 to arbitrary bytes', async () => {
      const emulator = createEmulator()
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
          const rawBody = new TextDecoder().decode(bytes)
          const response = await emulator.fetch(
            await signedRequest('ListSecrets', null, { rawBody })
          )
          expect(response.status).toBeLessThan(500)
        }),
        { numRuns: 200 }
      )
    }, 60_000)
  })
})
