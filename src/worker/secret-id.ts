import { WorkerError } from './errors.js'

/**
 * How a caller named a secret, once checked: what to send upstream, and which names it may
 * stand for. A full ARN's last `-XXXXXX` may be the random suffix Secrets Manager adds, or part
 * of the name of a secret addressed by partial ARN, so it may stand for two names.
 */
export interface ResolvedId {
  /** The id to send upstream and to cache under: a name, or a full ARN as written. */
  id: string
  /** The names the id may stand for; each is checked against the grant. */
  names: string[]
}

/** The worker's own account and region: the only ones whose ARNs it accepts. */
export interface ArnScope {
  region: string | undefined
  accountId: string | undefined
}

// Secret names: ASCII letters, digits and /_+=.@- (the service's rule), at most 512 of them.
const NAME_CHARS = /^[A-Za-z0-9/_+=.@-]{1,512}$/
// The random suffix Secrets Manager appends to a secret's name in its ARN.
const ARN_SUFFIX = /-[A-Za-z0-9]{6}$/

/**
 * Whether `name` is a secret name this worker accepts: the service's characters, and no empty,
 * `.` or `..` segment (no leading, trailing or doubled `/`). Such names are legal in Secrets
 * Manager but mean something else to every URL parser and proxy on the way, so they are
 * refused rather than matched against a grant.
 *
 * @param name A candidate secret name.
 */
export function isCanonicalName(name: string): boolean {
  if (!NAME_CHARS.test(name)) return false
  return name.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..')
}

/**
 * Checks a secret id as a caller wrote it: a name, or a full or partial ARN of this worker's own
 * partition, region and account. A partial ARN (no random suffix) is the same secret as its
 * name, so it is answered, and cached, as the name.
 *
 * @param raw The id, decoded once.
 * @param scope The worker's account and region.
 * @returns The id to use and the names to check.
 * @throws {WorkerError} `ValidationException` for a malformed id; `AccessDeniedException` for
 *   an ARN of another partition, region or account (or any ARN when the account is not set).
 */
export function resolveSecretId(raw: string, scope: ArnScope): ResolvedId {
  if (!raw.startsWith('arn:')) {
    if (!isCanonicalName(raw)) throw invalidId()
    return { id: raw, names: [raw] }
  }
  const parts = raw.split(':')
  if (parts.length !== 7 || parts[2] !== 'secretsmanager' || parts[5] !== 'secret') {
    throw invalidId()
  }
  const [, partition, , region, accountId, , resource = ''] = parts
  if (!isCanonicalName(resource)) throw invalidId()
  if (
    scope.region === undefined ||
    scope.accountId === undefined ||
    region !== scope.region ||
    accountId !== scope.accountId ||
    partition !== partitionOf(scope.region)
  ) {
    throw new WorkerError(
      'AccessDeniedException',
      "The ARN is not of this worker's own partition, region and account"
    )
  }
  if (!ARN_SUFFIX.test(resource)) return { id: resource, names: [resource] }
  const base = resource.slice(0, -7)
  return isCanonicalName(base)
    ? { id: raw, names: [base, resource] }
    : { id: raw, names: [resource] }
}

/**
 * The AWS partition of a region.
 *
 * @param region A region code, such as `us-east-1` or `cn-north-1`.
 */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  if (region.startsWith('us-isob-')) return 'aws-iso-b'
  if (region.startsWith('us-iso-')) return 'aws-iso'
  if (region.startsWith('eusc-')) return 'aws-eusc'
  return 'aws'
}

function invalidId(): WorkerError {
  return new WorkerError(
    'ValidationException',
    'The secret id must be a name (ASCII letters, digits and /_+=.@-, with no empty, "." or ".." segments) or an ARN of this worker\'s account'
  )
}
