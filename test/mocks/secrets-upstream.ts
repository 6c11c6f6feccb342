// A scriptable stand-in for Secrets Manager behind the cache: it records every call, and each
// call waits on a gate the test opens, so concurrent reads really interleave with it.

import {
  type CacheKey,
  type CacheStore,
  MemoryStore,
  SecretCache,
  type SecretCacheOptions,
} from '../../src/cache/index.js'
import type {
  BatchGetSecretValueRequest,
  BatchGetSecretValueResponse,
  GetSecretValueRequest,
  GetSecretValueResponse,
} from '../../src/client/index.js'
import { SecretsManagerError } from '../../src/client/index.js'

/** What the fake answers one GetSecretValue call with: a value, or an error code to throw. */
export type Answer = GetSecretValueResponse | { error: string }

/** A promise with its resolver exposed. */
export interface Gate {
  promise: Promise<void>
  open(): void
}

/** @returns A closed gate. */
export function gate(): Gate {
  let open!: () => void
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/**
 * A fake client. `values` maps `SecretId` (and `SecretId@stage` or `SecretId#versionId`) to the
 * answer; `hold()` makes the following calls wait until the returned gate opens. Every call
 * takes at least one macrotask, as real I/O does.
 */
export class FakeUpstream {
  readonly calls: GetSecretValueRequest[] = []
  readonly batchCalls: BatchGetSecretValueRequest[] = []
  readonly values = new Map<string, Answer>()
  #held: Gate | undefined

  /** Makes every call from now on wait until the gate opens. */
  hold(): Gate {
    const held = gate()
    this.#held = held
    return held
  }

  release(): void {
    this.#held?.open()
    this.#held = undefined
  }

  /** Sets what `id` (optionally `id@stage` or `id#version`) answers with. */
  set(id: string, answer: Answer): this {
    this.values.set(id, answer)
    return this
  }

  /** A client with GetSecretValue only. */
  get single(): { getSecretValue: FakeUpstream['getSecretValue'] } {
    return { getSecretValue: (input) => this.getSecretValue(input) }
  }

  async getSecretValue(input: GetSecretValueRequest): Promise<GetSecretValueResponse> {
    this.calls.push({ ...input })
    await new Promise((resolve) => setTimeout(resolve, 0))
    await this.#held?.promise
    const answer = this.#answer(input)
    if ('error' in answer) throw upstreamError('GetSecretValue', answer.error)
    return { ...answer }
  }

  async batchGetSecretValue(
    input: BatchGetSecretValueRequest
  ): Promise<BatchGetSecretValueResponse> {
    this.batchCalls.push({ ...input, SecretIdList: [...(input.SecretIdList ?? [])] })
    await new Promise((resolve) => setTimeout(resolve, 0))
    await this.#held?.promise
    const SecretValues: GetSecretValueResponse[] = []
    const Errors: { SecretId: string; ErrorCode: string; Message: string }[] = []
    for (const SecretId of input.SecretIdList ?? []) {
      const answer = this.#answer({ SecretId })
      if ('error' in answer) Errors.push({ SecretId, ErrorCode: answer.error, Message: 'no' })
      else SecretValues.push({ ...answer })
    }
    return { SecretValues, Errors }
  }

  #answer(input: GetSecretValueRequest): Answer {
    const id = input.SecretId
    const answer =
      (input.VersionId && this.values.get(`${id}#${input.VersionId}`)) ||
      (input.VersionStage && this.values.get(`${id}@${input.VersionStage}`)) ||
      this.values.get(id)
    return answer ?? { error: 'ResourceNotFoundException' }
  }
}

/**
 * A service error as the client raises it.
 *
 * @param operation The operation.
 * @param code E.g. `ThrottlingException` (retryable) or `ResourceNotFoundException`.
 * @returns The error.
 */
export function upstreamError(operation: string, code: string): SecretsManagerError {
  return new SecretsManagerError({ operation, code, detail: 'from the fake', status: 400 })
}

/**
 * A value as GetSecretValue returns it.
 *
 * @param Name The secret's name.
 * @param SecretString The value.
 * @param VersionId The version.
 * @returns The output.
 */
export function secretValue(
  Name: string,
  SecretString: string,
  VersionId = '00000000-0000-4000-8000-000000000001'
): GetSecretValueResponse {
  return {
    ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${Name}-AbCdEf`,
    Name,
    VersionId,
    SecretString,
    VersionStages: ['AWSCURRENT'],
    CreatedDate: new Date(1_795_167_000_000),
  }
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public ms = 1_800_000_000_000) {}
  readonly now = (): number => this.ms
  advance(ms: number): void {
    this.ms += ms
  }
}

/** Collects what a cache hands to `waitUntil`, to await it like the Workers runtime would. */
export class WaitUntil {
  readonly promises: Promise<unknown>[] = []
  readonly fn = (promise: Promise<unknown>): void => {
    this.promises.push(promise)
  }
  async settle(): Promise<void> {
    while (this.promises.length > 0) await Promise.allSettled(this.promises.splice(0))
  }
}

/** One hour in milliseconds: the default refresh interval. */
export const HOUR = 3_600_000

/**
 * A cache over a fresh {@link FakeUpstream} with a manual clock. `random: () => 0` makes every
 * stage entry due at exactly half the refresh interval, so deadlines are known.
 *
 * @param options Options to add or override.
 * @returns The cache, its upstream and clock, and a `waitUntil` whose promises `background` holds.
 */
export function setupCache(options: Partial<SecretCacheOptions> = {}) {
  const upstream = new FakeUpstream()
  const clock = new ManualClock()
  const background = new WaitUntil()
  const cache = new SecretCache({ client: upstream, now: clock.now, random: () => 0, ...options })
  return { upstream, clock, background, cache, waitUntil: background.fn }
}

/** Lets pending promise callbacks and zero-delay timers run. */
export const turn = (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, 5))

/**
 * A MemoryStore behind gates: `get`, `put` and `delete`/`deleteEntry` wait for the promise in
 * `gates` when one is set, so a test can hold a store operation while others run. It records
 * `deleteEntry` calls.
 *
 * @returns The store, the MemoryStore inside it, the gates and the deleted keys.
 */
export function gatedStore() {
  const inner = new MemoryStore()
  const gates: {
    get?: Promise<void> | undefined
    put?: Promise<void> | undefined
    delete?: Promise<void> | undefined
  } = {}
  const deletedEntries: CacheKey[] = []
  const store: CacheStore = {
    async get(key) {
      const value = await inner.get(key)
      await gates.get
      return value
    },
    async put(key, value) {
      await gates.put
      return inner.put(key, value)
    },
    async delete(id) {
      await gates.delete
      return inner.delete(id)
    },
    async deleteEntry(key) {
      deletedEntries.push(key)
      await gates.delete
      return inner.deleteEntry(key)
    },
  }
  return { inner, store, gates, deletedEntries }
}

/**
 * A client over `upstream` whose calls never settle while `state.hanging` is true (in workerd:
 * a call whose request was cancelled), and are answered by `upstream` otherwise.
 *
 * @param upstream Answers the calls that do not hang.
 * @param hanging Whether calls hang from the start.
 * @param extra More client members, e.g. `timeoutMs`.
 * @returns The client and the switch.
 */
export function hangingClient(upstream: FakeUpstream, hanging: boolean, extra: object = {}) {
  const state = { hanging }
  const client = {
    ...extra,
    getSecretValue: (input: GetSecretValueRequest): Promise<GetSecretValueResponse> =>
      state.hanging ? new Promise<never>(() => {}) : upstream.getSecretValue(input),
  }
  return { client, state }
}
