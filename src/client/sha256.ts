// biome-ignore-all lint/style/noNonNullAssertion: typed-array reads within bounds, in the hot loop of every signature
// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) in plain JavaScript, synchronous, for SigV4.
// WebCrypto's digest and sign are asynchronous: on Node, Deno and Bun each call is a round trip
// through a thread pool. A signature's hashes (body, canonical request, HMAC) took 134 µs with
// WebCrypto and the key kept, against 9.8 µs here, on Node (bench/5-runtimes); in workerd they
// cost 51 against 65 µs of CPU per call with a canned fetch. The AWS SDK's browser build signs
// with a JavaScript SHA-256 too (@aws-crypto/sha256-js). The day's key is still derived with
// WebCrypto (sigv4.ts signingKey). Checked against WebCrypto, node:crypto and the NIST vectors
// in test/node/client/sha256.test.ts.

// The round constants and the initial state: the first 32 bits of the fractional parts of the
// cube roots of the first 64 primes and of the square roots of the first 8 (FIPS 180-4 §4.2.2,
// §5.3.3), computed rather than spelled out; the test checks that derivation against the
// standard's table, and the vectors check the result.
const K = new Int32Array(64)
const INITIAL_STATE = new Int32Array(8)
for (let n = 2, found = 0; found < 64; n++) {
  let prime = true
  for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false
  if (!prime) continue
  if (found < 8) INITIAL_STATE[found] = (Math.sqrt(n) % 1) * 2 ** 32
  K[found++] = (Math.cbrt(n) % 1) * 2 ** 32
}

const BLOCK_BYTES = 64
const W = new Int32Array(64)

// Folds the 64-byte blocks of `bytes` from `offset` to `end` into `state`.
function compress(state: Int32Array, bytes: Uint8Array, offset: number, end: number): void {
  for (; offset < end; offset += BLOCK_BYTES) {
    for (let i = 0; i < 16; i++) {
      const at = offset + i * 4
      W[i] = (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!
    }
    for (let i = 16; i < 64; i++) {
      const x = W[i - 15]!
      const y = W[i - 2]!
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
      W[i] = W[i - 16]! + s0 + W[i - 7]! + s1
    }
    let a = state[0]!
    let b = state[1]!
    let c = state[2]!
    let d = state[3]!
    let e = state[4]!
    let f = state[5]!
    let g = state[6]!
    let h = state[7]!
    for (let i = 0; i < 64; i++) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
      h = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    state[0]! += a
    state[1]! += b
    state[2]! += c
    state[3]! += d
    state[4]! += e
    state[5]! += f
    state[6]! += g
    state[7]! += h
  }
}

// Scratch space (the digests are synchronous, so never shared by two at once): typed array
// allocations, and TextEncoder.encode's new buffer (3-4.5 µs on Node and Deno, against 0.1 µs to
// encode into one kept), cost more than the rounds of a signature's short inputs. Each is
// zeroed after use, so no message outlives its digest here.
const WORKING = new Int32Array(8)
const TAIL = new Uint8Array(2 * BLOCK_BYTES)
const TEXT_SCRATCH_BYTES = 8192
const TEXT = new Uint8Array(TEXT_SCRATCH_BYTES)
const ENCODER = new TextEncoder()

// The digest of the first `length` bytes of `data`, continuing from `state` after
// `prefixBytes` already folded into it (an HMAC's padded key block); `state` is left as it was.
function digestFrom(
  state: Int32Array,
  prefixBytes: number,
  data: Uint8Array,
  length = data.length
): Uint8Array {
  WORKING.set(state)
  const whole = length - (length % BLOCK_BYTES)
  compress(WORKING, data, 0, whole)
  // The tail, 0x80, zeros, and the message length in bits as a 64-bit big-endian number.
  const rest = length - whole
  const tailBytes = rest < 56 ? BLOCK_BYTES : 2 * BLOCK_BYTES
  for (let i = 0; i < rest; i++) TAIL[i] = data[whole + i]!
  TAIL[rest] = 0x80
  const bits = (prefixBytes + length) * 8
  writeUint32(TAIL, tailBytes - 8, bits / 2 ** 32)
  writeUint32(TAIL, tailBytes - 4, bits)
  compress(WORKING, TAIL, 0, tailBytes)
  TAIL.fill(0)
  W.fill(0)
  const out = new Uint8Array(32)
  for (let i = 0; i < 8; i++) writeUint32(out, i * 4, WORKING[i]!)
  return out
}

// The digest of a text's UTF-8 bytes, encoded into the scratch space when they fit.
function digestText(state: Int32Array, prefixBytes: number, text: string): Uint8Array {
  if (text.length * 3 > TEXT_SCRATCH_BYTES) {
    const bytes = ENCODER.encode(text)
    const digest = digestFrom(state, prefixBytes, bytes)
    bytes.fill(0)
    return digest
  }
  const { written } = ENCODER.encodeInto(text, TEXT)
  const digest = digestFrom(state, prefixBytes, TEXT, written)
  TEXT.fill(0, 0, written)
  return digest
}

function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24
  bytes[at + 1] = value >>> 16
  bytes[at + 2] = value >>> 8
  bytes[at + 3] = value
}

/**
 * SHA-256 of some bytes, or of a text's UTF-8 bytes.
 *
 * @param data The bytes or the text to hash.
 * @returns The 32-byte digest.
 */
export function sha256(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string'
    ? digestText(INITIAL_STATE, 0, data)
    : digestFrom(INITIAL_STATE, 0, data)
}

/** An HMAC-SHA256 key with its two padded blocks already hashed, for {@link hmacSha256}. */
export interface HmacKey {
  readonly inner: Int32Array
  readonly outer: Int32Array
}

/**
 * Prepares an HMAC-SHA256 key: its inner and outer padded blocks are hashed once, so that each
 * {@link hmacSha256} with it hashes only the message and one block more.
 *
 * @param key The key bytes (any length).
 * @returns The prepared key.
 */
export function hmacKey(key: Uint8Array): HmacKey {
  const block = new Uint8Array(BLOCK_BYTES)
  const hashed = key.length > BLOCK_BYTES ? sha256(key) : undefined
  block.set(hashed ?? key)
  hashed?.fill(0)
  const padded = new Uint8Array(BLOCK_BYTES)
  const pad = (byte: number) => {
    for (let i = 0; i < BLOCK_BYTES; i++) padded[i] = block[i]! ^ byte
    const state = INITIAL_STATE.slice()
    compress(state, padded, 0, BLOCK_BYTES)
    return state
  }
  const prepared = { inner: pad(0x36), outer: pad(0x5c) }
  // The key's bytes, padded or in the schedule, outlive this call nowhere here.
  block.fill(0)
  padded.fill(0)
  W.fill(0)
  return prepared
}

/**
 * HMAC-SHA256 of a message.
 *
 * @param key A key from {@link hmacKey}.
 * @param message The bytes, or the text (as UTF-8), to authenticate.
 * @returns The 32-byte MAC.
 */
export function hmacSha256(key: HmacKey, message: Uint8Array | string): Uint8Array {
  const inner =
    typeof message === 'string'
      ? digestText(key.inner, BLOCK_BYTES, message)
      : digestFrom(key.inner, BLOCK_BYTES, message)
  return digestFrom(key.outer, BLOCK_BYTES, inner)
}

const HEX_DIGITS = Array.from({ length: 256 }, (_, n) => n.toString(16).padStart(2, '0'))

/**
 * Lowercase hex of some bytes.
 *
 * @param bytes The bytes.
 * @returns Two hex digits per byte.
 */
export function hex(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += HEX_DIGITS[bytes[i]!]
  return out
}
