// Property-based: random POST / requests (targets, headers, bodies; signed, signed then changed,
// or not signed) never get a 5xx or a stack trace, every error is the service's
// {"__type","message"} with x-amzn-ErrorType and x-amzn-RequestId, and no value outside the
// grant ever appears in an answer.
import { AwsClient } from 'aws4fetch'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { createAccessKey, createMasterKey, parseMasterKeys } from '../../../src/worker/keys.js'
import {
  ACCOUNT_ID,
  clientBehindWorker,
  createHarness,
  type Harness,
  REGION,
  sendTo,
  uniqueName,
} from './harness.js'

const MASTER = createMasterKey(1)
const TARGETS = [
  'GetSecretValue',
  'DescribeSecret',
  'BatchGetSecretValue',
  'ListSecrets',
  'CreateSecret',
  'PutSecretValue',
  'UpdateSecret',
  'DeleteSecret',
  'RestoreSecret',
  'GetRandomPassword',
  'RotateSecret',
  'TagResource',
  'ListSecretVersionIds',
  'Nope',
  '',
]
const OUTSIDE_VALUE = 'fuzz-outside-value-7f3a'

let h: Harness
let key: { accessKeyId: string; secretAccessKey: string }
let inside: string
let outside: string
let outsideArn: string

beforeAll(async () => {
  key = await createAccessKey(parseMasterKeys(MASTER))
  h = await createHarness({
    grants: [
      {
        name: 'fuzz',
        accessKeyIds: [key.accessKeyId],
        actions: ['read', 'write', 'delete', 'list', 'random-password'],
        secrets: ['fz/*', 'fz-exact'],
      },
    ],
    env: { ACCESS_KEY_MASTER: MASTER },
  })
  inside = uniqueName('fz/app')
  outside = uniqueName('fz-other/app')
  const behind = clientBehindWorker(h)
  await behind.createSecret({ Name: inside, SecretString: 'fuzz-inside-value' })
  await behind.createSecret({ Name: 'fz-exact-more', SecretString: OUTSIDE_VALUE })
  outsideArn = (await behind.createSecret({ Name: outside, SecretString: OUTSIDE_VALUE }))
    .ARN as string
})

const id = () =>
  fc.oneof(
    fc.constantFrom(
      inside,
      outside,
      outsideArn,
      `${outsideArn.slice(0, -7)}`,
      `fz/../${outside}`,
      'fz//x',
      'fz-exact',
      'fz-exact-more',
      `arn:aws:secretsmanager:${REGION}:999999999999:secret:${inside}`,
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:fz-exact-more`,
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:fz-other/app-AbCdEf`
    ),
    fc.string({ maxLength: 40 })
  )
const value = () =>
  fc.oneof(
    id(),
    fc.integer({ min: -5, max: 100 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(id(), { maxLength: 4 }),
    fc.constantFrom(
      'AAAA',
      'not base64',
      [{ Key: 'name', Values: ['fz-other'] }],
      [{ Key: 'all', Values: ['!fz'] }],
      {}
    )
  )
const member = fc.constantFrom(
  'SecretId',
  'Name',
  'SecretString',
  'SecretBinary',
  'SecretIdList',
  'Filters',
  'MaxResults',
  'NextToken',
  'VersionStage',
  'ClientRequestToken',
  'RecoveryWindowInDays',
  'ForceDeleteWithoutRecovery',
  'PasswordLength',
  '__proto__',
  'constructor',
  'Extra'
)
// Built in the test: the ids above exist only after beforeAll.
const bodyArb = () =>
  fc.oneof(
    fc.dictionary(member, value(), { maxKeys: 4 }).map((o) => JSON.stringify(o)),
    fc.string({ maxLength: 60 }),
    fc.constantFrom('', '{', '[]', 'null', '{"SecretId":', '\u0000')
  )
const mode = fc.constantFrom('signed', 'signed', 'signed', 'unsigned', 'tampered', 'garbled-auth')
const extraHeaders = fc.dictionary(
  fc.constantFrom('x-amz-target', 'content-type', 'x-amz-date', 'authorization', 'x-extra'),
  fc.string({ maxLength: 30 }).filter((v) => /^[\x20-\x7e]*$/.test(v)),
  { maxKeys: 2 }
)

describe('POST / under random requests', () => {
  it('never answers 5xx, a stack trace, a malformed error or a value outside the grant', async () => {
    const signer = new AwsClient({ ...key, service: 'secretsmanager', region: REGION })
    const seen = new Set<string>()
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TARGETS),
        bodyArb(),
        mode,
        extraHeaders,
        async (target, text, how, extra) => {
          const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' }
          if (target !== '') headers['x-amz-target'] = `secretsmanager.${target}`
          let request: Request
          if (how === 'unsigned') {
            request = new Request('https://worker.test/', { method: 'POST', headers, body: text })
          } else {
            request = await signer.sign('https://worker.test/', {
              method: 'POST',
              headers,
              body: text,
            })
            if (how === 'tampered' || how === 'garbled-auth') {
              const changed = new Headers(request.headers)
              for (const [name, v] of Object.entries(extra)) changed.set(name, v)
              if (how === 'garbled-auth')
                changed.set(
                  'authorization',
                  `AWS4-HMAC-SHA256 ${text.replace(/[^\x20-\x7e]/g, '').slice(0, 20)}`
                )
              request = new Request(request.url, { method: 'POST', headers: changed, body: text })
            }
          }
          const sent = await sendTo(h.app, h.env, request.url, {
            method: 'POST',
            headers: request.headers,
            body: await request.arrayBuffer(),
          })
          seen.add(sent.status === 200 ? 'ok' : String(sent.json?.__type))
          expect(sent.status, sent.text).toBeLessThan(500)
          expect(sent.text).not.toMatch(/\n\s+at /)
          expect(sent.text).not.toContain(OUTSIDE_VALUE)
          expect(sent.headers.get('x-amzn-requestid')).toBeTruthy()
          if (sent.status >= 400) {
            expect(Object.keys(sent.json ?? {}).sort()).toEqual(['__type', 'message'])
            expect(sent.headers.get('x-amzn-errortype')).toBe(sent.json.__type)
          }
        }
      ),
      { numRuns: 400 }
    )
    // The runs reached the operations, not only the signature check.
    for (const outcome of ['ok', 'AccessDeniedException', 'InvalidSignatureException']) {
      expect([...seen]).toContain(outcome)
    }
    // Nothing outside the grant was changed.
    const still = await clientBehindWorker(h).getSecretValue({ SecretId: outside })
    expect(still.SecretString).toBe(OUTSIDE_VALUE)
    expect(JSON.stringify(h.logs)).not.toContain(OUTSIDE_VALUE)
  }, 120_000)
})
