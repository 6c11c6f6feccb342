// The client's own SHA-256 and HMAC-SHA256 (src/client/sha256.ts), against the standard's
// vectors and constants, node:crypto and WebCrypto.
import { createHash, createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hex, hmacKey, hmacSha256, sha256 } from '../../../src/client/sha256.js'

const utf8 = (text: string) => new TextEncoder().encode(text)

// FIPS 180-4 §4.2.2: the 64 round constants.
const ROUND_CONSTANTS = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]

describe('sha256', () => {
  it('matches the FIPS 180-4 and NIST vectors', () => {
    expect(hex(sha256(utf8('')))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    )
    expect(hex(sha256(utf8('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    )
    expect(hex(sha256(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'
    )
    expect(hex(sha256(new Uint8Array(1_000_000).fill(0x61)))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'
    )
  })

  it('computes the standard round constants (the first digest proves them all)', () => {
    // The constants are derived from cube roots at load; a wrong one changes every digest, so
    // the vectors above check them. This pins the derivation itself to the standard's table.
    const cbrtConstant = (prime: number) => ((Math.cbrt(prime) % 1) * 2 ** 32) >>> 0
    const primes: number[] = []
    for (let n = 2; primes.length < 64; n++) if (primes.every((p) => n % p !== 0)) primes.push(n)
    expect(primes.map(cbrtConstant)).toEqual(ROUND_CONSTANTS)
  })

  it('equals node:crypto and WebCrypto for any bytes, across block boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          // Lengths where the padding moves to a second block, and multiples of the block.
          fc
            .constantFrom(55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 4096)
            .chain((length) => fc.uint8Array({ minLength: length, maxLength: length }))
        ),
        async (bytes) => {
          const expected = createHash('sha256').update(bytes).digest('hex')
          expect(hex(sha256(bytes))).toBe(expected)
          expect(Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex')).toBe(
            expected
          )
        }
      ),
      { numRuns: 300 }
    )
  })

  it('hashes a text as its UTF-8 bytes, short or past the scratch space, like node:crypto', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          // Around 8192 / 3 code units: the scratch space's limit, then TextEncoder.encode.
          fc
            .integer({ min: 2700, max: 2760 })
            .chain((length) =>
              fc.string({ unit: 'binary-ascii', minLength: length, maxLength: length })
            ),
          fc.string({ unit: 'grapheme', minLength: 2000, maxLength: 3000 })
        ),
        (text) => {
          expect(hex(sha256(text))).toBe(createHash('sha256').update(text, 'utf8').digest('hex'))
        }
      ),
      { numRuns: 200 }
    )
  })

  it('hashes texts of 3-byte characters and lone surrogates at the scratch limit', () => {
    // 8192 / 3: 2730 units fit the scratch space; 2731 and 2732 go to TextEncoder.encode.
    for (const length of [2730, 2731, 2732]) {
      for (const text of ['☃'.repeat(length), '\ud800'.repeat(length)]) {
        expect(hex(sha256(text))).toBe(createHash('sha256').update(text, 'utf8').digest('hex'))
      }
    }
  })

  it('leaves its input unchanged and gives the same digest when called again', () => {
    const bytes = utf8('x'.repeat(100))
    const copy = bytes.slice()
    const first = hex(sha256(bytes))
    sha256(utf8('something else, to reuse the scratch space'))
    expect(hex(sha256(bytes))).toBe(first)
    expect(bytes).toEqual(copy)
  })
})

describe('hmacSha256', () => {
  it('matches the RFC 4231 vectors', () => {
    // Test case 2: a short key.
    expect(hex(hmacSha256(hmacKey(utf8('Jefe')), utf8('what do ya want for nothing?')))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'
    )
    // Test case 6: a key longer than the block, hashed first.
    expect(
      hex(
        hmacSha256(
          hmacKey(new Uint8Array(131).fill(0xaa)),
          utf8('Test Using Larger Than Block-Size Key - Hash Key First')
        )
      )
    ).toBe('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54')
  })

  it('uses a key of up to one block as it is and hashes a longer one', () => {
    for (const length of [63, 64, 65]) {
      const key = new Uint8Array(length).fill(7)
      expect(hex(hmacSha256(hmacKey(key), 'm'))).toBe(
        createHmac('sha256', key).update('m').digest('hex')
      )
    }
  })

  it('equals node:crypto for any key and message, and a prepared key is reusable', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 150 }),
        fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 3 }),
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        (key, messages, text) => {
          const prepared = hmacKey(key)
          for (const message of messages) {
            expect(hex(hmacSha256(prepared, message))).toBe(
              createHmac('sha256', key).update(message).digest('hex')
            )
          }
          expect(hex(hmacSha256(prepared, text))).toBe(
            createHmac('sha256', key).update(text, 'utf8').digest('hex')
          )
        }
      ),
      { numRuns: 300 }
    )
  })
})
