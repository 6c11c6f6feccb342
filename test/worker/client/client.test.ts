// The client inside workerd, talking to the emulator through its `fetch` seam (no network, no
// msw): proves the client runs on Workers APIs alone.
import { describe, expect, it } from 'vitest'
import {
  isSecretsManagerError,
  SecretsManagerClient,
  type SecretsManagerClientOptions,
} from '../../../src/client/index.js'
import { createEmulator } from '../../../src/emulator/index.js'

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
}

const emulator = createEmulator({ credentials: [CREDENTIALS] })
let requests = 0

// A client whose every request goes to the emulator; zero backoff.
function client(options: Partial<SecretsManagerClientOptions> = {}) {
  return new SecretsManagerClient({
    region: 'us-east-1',
    credentials: CREDENTIALS,
    random: () => 0,
    fetch: (input, init) => {
      requests++
      return emulator.fetch(new Request(input, init))
    },
    ...options,
  })
}

let counter = 0
// Storage is shared by the whole file: every test uses its own names.
function uniqueName(label: string): string {
  counter++
  return `worker/${label}/${counter}-${crypto.randomUUID().slice(0, 8)}`
}

const sm = client()

describe('SecretsManagerClient in workerd', () => {
  it('calls every operation', async () => {
    const Name = uniqueName('ops')
    const created = await sm.createSecret({ Name, SecretString: 'v1' })
    expect(created.VersionId).toBeDefined()
    expect(await sm.getSecretValue({ SecretId: Name })).toMatchObject({ SecretString: 'v1' })
    const put = await sm.putSecretValue({ SecretId: Name, SecretString: 'v2' })
    const updated = await sm.updateSecret({ SecretId: Name, SecretString: 'v3', Description: 'd' })
    const described = await sm.describeSecret({ SecretId: Name })
    expect(described.VersionIdsToStages).toEqual({
      [put.VersionId ?? '']: ['AWSPREVIOUS'],
      [updated.VersionId ?? '']: ['AWSCURRENT'],
    })
    expect(described.CreatedDate).toBeInstanceOf(Date)

    const listed = await sm.listSecrets({ Filters: [{ Key: 'name', Values: [Name] }] })
    expect(listed.SecretList?.map((s) => s.Name)).toEqual([Name])
    const pages = []
    for await (const page of sm.paginateListSecrets({
      Filters: [{ Key: 'name', Values: [Name] }],
    })) {
      pages.push(page)
    }
    expect(pages.flatMap((p) => p.SecretList ?? []).map((s) => s.Name)).toEqual([Name])

    const batch = await sm.batchGetSecretValue({ SecretIdList: [Name] })
    expect(batch.SecretValues?.[0]?.SecretString).toBe('v3')

    const { RandomPassword } = await sm.getRandomPassword({ PasswordLength: 20 })
    expect(RandomPassword).toHaveLength(20)

    const deleted = await sm.deleteSecret({ SecretId: Name, RecoveryWindowInDays: 7 })
    expect(deleted.DeletionDate).toBeInstanceOf(Date)
    await sm.restoreSecret({ SecretId: Name })
    expect(await sm.getSecretString(Name)).toBe('v3')
    await sm.deleteSecret({ SecretId: Name, ForceDeleteWithoutRecovery: true })
    const error = await sm.describeSecret({ SecretId: Name }).catch((e: unknown) => e)
    expect(isSecretsManagerError(error, 'ResourceNotFoundException')).toBe(true)
  })

  it('round-trips strings and binaries, including all 256 byte values and 65,536 bytes', async () => {
    const Name = uniqueName('round-trip')
    const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    await sm.writeSecret(Name, allBytes)
    expect(await sm.getSecretBinary(Name)).toEqual(allBytes)

    const big = Uint8Array.from({ length: 65_536 }, (_, i) => (i * 13 + 5) & 0xff)
    await sm.writeSecret(Name, big.buffer)
    const read = await sm.getSecretBinary(Name)
    expect(read.byteLength).toBe(65_536)
    expect(read.every((byte, i) => byte === big[i])).toBe(true)

    const text = '🔑 clé ключ 鍵'
    await sm.writeSecret(Name, text)
    expect(await sm.getSecretString(Name)).toBe(text)
    await sm.writeSecret(Name, JSON.stringify({ user: 'app' }))
    expect(await sm.getSecretJson(Name)).toEqual({ user: 'app' })
  })

  it('retries throttling and a lost response without creating a second version', async () => {
    const Name = uniqueName('faults')
    await sm.createSecret({ Name, SecretString: 'one' })
    let before = requests
    emulator.injectFault({ kind: 'throttle', operations: ['PutSecretValue'] })
    const second = await sm.putSecretValue({ SecretId: Name, SecretString: 'two' })
    expect(requests - before).toBe(2)

    before = requests
    emulator.injectFault({ kind: 'drop-response', operations: ['PutSecretValue'] })
    const third = await sm.putSecretValue({ SecretId: Name, SecretString: 'three' })
    expect(requests - before).toBe(2)

    const { VersionIdsToStages } = await sm.describeSecret({ SecretId: Name })
    expect(VersionIdsToStages).toEqual({
      [second.VersionId ?? '']: ['AWSPREVIOUS'],
      [third.VersionId ?? '']: ['AWSCURRENT'],
    })
  })

  it('refuses invalid requests before calling fetch', async () => {
    const before = requests
    const error = await sm
      .putSecretValue({ SecretId: 'x', SecretString: 's', SecretBinary: new Uint8Array([1]) })
      .catch((e: unknown) => e)
    expect(isSecretsManagerError(error, 'InvalidParameterException')).toBe(true)
    expect(requests).toBe(before)
  })

  it('is rejected for a wrong key', async () => {
    const wrong = client({ credentials: { ...CREDENTIALS, secretAccessKey: 'wrong' } })
    const error = await wrong.listSecrets().catch((e: unknown) => e)
    expect(isSecretsManagerError(error, 'InvalidSignatureException')).toBe(true)
  })

  it('sends the session token of temporary credentials, signed', async () => {
    const TEMPORARY = { ...CREDENTIALS, sessionToken: 'IQoJb3JpZ2luEXAMPLE' }
    // This emulator accepts the key pair only together with its session token.
    const strict = createEmulator({ credentials: [TEMPORARY] })
    const sent: Request[] = []
    const through = (credentials: typeof CREDENTIALS) =>
      client({
        credentials,
        fetch: (input, init) => {
          const request = new Request(input, init)
          sent.push(request)
          return strict.fetch(request.clone())
        },
      })

    await expect(through(TEMPORARY).listSecrets({ MaxResults: 1 })).resolves.toBeDefined()
    expect(sent).toHaveLength(1)
    expect(sent[0]?.headers.get('x-amz-security-token')).toBe(TEMPORARY.sessionToken)
    expect(sent[0]?.headers.get('authorization')).toMatch(
      /SignedHeaders=[^,]*\bx-amz-security-token\b/
    )

    const error = await through(CREDENTIALS)
      .listSecrets()
      .catch((e: unknown) => e)
    expect(isSecretsManagerError(error, 'UnrecognizedClientException')).toBe(true)
    expect(sent[1]?.headers.has('x-amz-security-token')).toBe(false)
  })
})
