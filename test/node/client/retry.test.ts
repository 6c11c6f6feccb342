import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  backoffMs,
  clampRetryAfterMs,
  INITIAL_RETRY_TOKENS,
  isRetryable,
  RetryQuota,
  retryAfterHintMs,
  retryKind,
  sleep,
} from '../../../src/client/retry.js'

describe('retryKind', () => {
  it.each([
    [{ code: 'ThrottlingException', status: 400 }, 'throttling'],
    [{ code: 'TooManyRequestsException', status: 400 }, 'throttling'],
    // Unlike the SDKs: in Secrets Manager it can be a hard quota (AWS-CONTRACT.md).
    [{ code: 'LimitExceededException', status: 400 }, undefined],
    [{ code: 'UnknownError', status: 429 }, 'throttling'],
    [{ code: 'InternalServiceError', status: 400 }, 'transient'],
    [{ code: 'InternalServiceError', status: 500 }, 'transient'],
    [{ code: 'UnknownError', status: 502 }, 'transient'],
    [{ code: 'ServiceUnavailable', status: 503 }, 'transient'],
    [{ code: 'UnknownError', status: 504 }, 'transient'],
    [{ code: 'RequestTimeoutException', status: 408 }, 'transient'],
    [{ code: 'TimeoutError' }, 'transient'],
    [{ code: 'NetworkError' }, 'transient'],
    [
      {
        code: 'InvalidSignatureException',
        status: 400,
        message: 'Signature expired: 2026… is now',
      },
      'transient',
    ],
    [{ code: 'InvalidSignatureException', status: 400, message: 'does not match' }, undefined],
    [{ code: 'ResourceNotFoundException', status: 400 }, undefined],
    [{ code: 'AccessDeniedException', status: 400 }, undefined],
    [{ code: 'UnknownError', status: 501 }, undefined],
    [{ code: 'UnknownError', status: 403 }, undefined],
    [{ code: 'AbortError' }, undefined],
  ] as const)('classifies %o as %s', (error, kind) => {
    expect(retryKind(error)).toBe(kind)
    expect(isRetryable(error)).toBe(kind !== undefined)
  })
})

describe('backoffMs', () => {
  it('is full jitter over 100 ms · 2^i for transient errors', () => {
    expect(backoffMs(0, 'transient', () => 0.999)).toBe(99)
    expect(backoffMs(1, 'transient', () => 0.5)).toBe(100)
    expect(backoffMs(3, 'transient', () => 0.5)).toBe(400)
    expect(backoffMs(5, 'transient', () => 0)).toBe(0)
  })

  it('uses a 500 ms base after throttling', () => {
    expect(backoffMs(0, 'throttling', () => 0.5)).toBe(250)
    expect(backoffMs(2, 'throttling', () => 0.5)).toBe(1000)
  })

  it('caps the delay at 20 s', () => {
    expect(backoffMs(10, 'throttling', () => 0.999_999)).toBe(19_999)
    expect(backoffMs(60, 'transient', () => 0.5)).toBe(10_000)
  })
})

describe('retryAfterHintMs', () => {
  const nowMs = Date.UTC(2026, 10, 23, 12, 0, 0)

  it('reads x-amz-retry-after as milliseconds', () => {
    expect(retryAfterHintMs(new Headers({ 'x-amz-retry-after': '1500' }), nowMs)).toBe(1500)
  })

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterHintMs(new Headers({ 'retry-after': '3' }), nowMs)).toBe(3000)
    const date = new Date(nowMs + 4000).toUTCString()
    expect(retryAfterHintMs(new Headers({ 'retry-after': date }), nowMs)).toBe(4000)
  })

  it('ignores absent and unreadable hints', () => {
    expect(retryAfterHintMs(new Headers(), nowMs)).toBeUndefined()
    expect(retryAfterHintMs(new Headers({ 'retry-after': 'soon' }), nowMs)).toBeUndefined()
    expect(retryAfterHintMs(new Headers({ 'x-amz-retry-after': 'x' }), nowMs)).toBeUndefined()
  })
})

describe('clampRetryAfterMs', () => {
  it('keeps a hint within [computed, computed + 5 s]', () => {
    expect(clampRetryAfterMs(200, undefined)).toBe(200)
    expect(clampRetryAfterMs(200, 50)).toBe(200)
    expect(clampRetryAfterMs(200, 3000)).toBe(3000)
    expect(clampRetryAfterMs(200, 60_000)).toBe(5200)
  })
})

describe('RetryQuota', () => {
  it('charges 5 per throttling retry and 10 per transient retry', () => {
    const quota = new RetryQuota()
    expect(quota.acquire('throttling')).toBe(5)
    expect(quota.acquire('transient')).toBe(10)
    expect(quota.tokens).toBe(INITIAL_RETRY_TOKENS - 15)
  })

  it('refuses once the tokens run out, and refunds on success up to 500', () => {
    const quota = new RetryQuota()
    for (let i = 0; i < 50; i++) expect(quota.acquire('transient')).toBe(10)
    expect(quota.acquire('transient')).toBeUndefined()
    expect(quota.acquire('throttling')).toBeUndefined()
    quota.release(undefined)
    expect(quota.tokens).toBe(1)
    quota.release(10)
    expect(quota.tokens).toBe(11)
    for (let i = 0; i < 1000; i++) quota.release(10)
    expect(quota.tokens).toBe(INITIAL_RETRY_TOKENS)
  })
})

describe('sleep', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('resolves after the delay', async () => {
    vi.useFakeTimers()
    let done = false
    const slept = sleep(1000).then(() => {
      done = true
    })
    await vi.advanceTimersByTimeAsync(999)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await slept
    expect(done).toBe(true)
  })

  it('rejects with the reason as soon as the signal aborts', async () => {
    vi.useFakeTimers()
    const controller = new AbortController()
    const slept = sleep(10_000, controller.signal)
    const reason = new Error('stop')
    controller.abort(reason)
    await expect(slept).rejects.toBe(reason)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('rejects at once when the signal is already aborted', async () => {
    const reason = new Error('already')
    await expect(sleep(10, AbortSignal.abort(reason))).rejects.toBe(reason)
  })
})
