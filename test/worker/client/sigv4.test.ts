// The client's signer inside workerd (its JavaScript SHA-256, its WebCrypto key derivation):
// the AWS-CONTRACT.md vector, and the same headers as aws4fetch's AwsV4Signer, which hashes with
// workerd's WebCrypto.
import { AwsV4Signer } from 'aws4fetch'
import { describe, expect, it } from 'vitest'
import { hexSha256, jsonRequestSigner, signingKey } from '../../../src/client/sigv4.js'

const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
const BODY = '{"SecretId":"prod/app/db","VersionStage":"AWSCURRENT"}'
const DATETIME = '20261123T120000Z'

async function sign(endpoint: string, sessionToken?: string) {
  return jsonRequestSigner(
    endpoint,
    'us-east-1',
    'secretsmanager'
  )({
    headers: { 'x-amz-target': 'secretsmanager.GetSecretValue' },
    bodySha256: hexSha256(BODY),
    datetime: DATETIME,
    accessKeyId: 'AKIDEXAMPLE',
    sessionToken,
    key: await signingKey(SECRET_ACCESS_KEY, '20261123', 'us-east-1', 'secretsmanager'),
  })
}

describe('the client signer in workerd', () => {
  it('reproduces the AWS-CONTRACT.md vector', async () => {
    expect((await sign('https://secretsmanager.us-east-1.amazonaws.com/')).authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/secretsmanager/aws4_request, ' +
        'SignedHeaders=host;x-amz-date;x-amz-target, ' +
        'Signature=10d8cbe97bc170084e7c3d315a820f0824e6e3d3725b2c7bbc24de9403329a96'
    )
  })

  it("equals aws4fetch's headers on an endpoint with a path, a query and a session token", async () => {
    // A repeated query name (sorted by value too), and a token that is trimmed when signed.
    const endpoint = 'http://127.0.0.1:8787/aws/v1%20x/?b=2&a=1&a=0'
    const sessionToken = ' FwoGZXIvYXdz  EXAMPLETOKEN '
    const theirs = await new AwsV4Signer({
      url: endpoint,
      method: 'POST',
      headers: { 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body: BODY,
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: SECRET_ACCESS_KEY,
      sessionToken,
      service: 'secretsmanager',
      region: 'us-east-1',
      datetime: DATETIME,
    }).sign()
    const ours = await sign(endpoint, sessionToken)
    // fetch trims the header it sends, as Headers did for aws4fetch.
    expect({ ...ours, 'x-amz-security-token': ours['x-amz-security-token']?.trim() }).toEqual(
      Object.fromEntries(theirs.headers)
    )
  })
})
