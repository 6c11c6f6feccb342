// Endpoint rules of Secrets Manager (the SDK's endpoint ruleset, reduced to what this client
// offers). Dual-stack hosts equal the standard ones, so there is no dual-stack option, and
// `secretsmanager.{region}.api.aws` is never generated: it does not resolve.
// https://docs.aws.amazon.com/general/latest/gr/asm.html

// Region prefix → DNS suffix of the partitions whose suffix is not amazonaws.com.
const DNS_SUFFIXES: ReadonlyArray<readonly [prefix: string, suffix: string]> = [
  ['cn-', 'amazonaws.com.cn'],
  ['us-iso-', 'c2s.ic.gov'],
  ['us-isob-', 'sc2s.sgov.gov'],
  ['us-isof-', 'csp.hci.ic.gov'],
  ['eu-isoe-', 'cloud.adc-e.uk'],
  ['eusc-', 'amazonaws.eu'],
]

// Partitions (by region prefix) that have FIPS endpoints: aws and aws-us-gov.
const NON_FIPS_PREFIXES = DNS_SUFFIXES.map(([prefix]) => prefix)

// A region becomes a DNS label, so refuse anything that could change the host.
const REGION_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/** What {@link resolveEndpoint} needs. */
export interface EndpointConfig {
  region: string
  endpoint?: string | URL | undefined
  useFipsEndpoint?: boolean | undefined
}

/**
 * Picks the URL every call is POSTed to.
 * - standard: `https://secretsmanager.{region}.amazonaws.com`
 * - China (`cn-*`): `https://secretsmanager.{region}.amazonaws.com.cn`
 * - FIPS (aws, aws-us-gov): `https://secretsmanager-fips.{region}.amazonaws.com`
 * - custom `endpoint`: used as given (still signed for `region`)
 *
 * @param config The region, and optionally an endpoint override or FIPS.
 * @returns The absolute endpoint URL.
 * @throws {TypeError} For an invalid region or endpoint, `endpoint` together with
 *   `useFipsEndpoint`, or FIPS in a partition without FIPS endpoints.
 * @example
 * ```ts
 * resolveEndpoint({ region: 'cn-north-1' }) // 'https://secretsmanager.cn-north-1.amazonaws.com.cn/'
 * ```
 */
export function resolveEndpoint(config: EndpointConfig): string {
  const { region, endpoint, useFipsEndpoint } = config
  if (!REGION_PATTERN.test(region))
    throw new TypeError(`region ${JSON.stringify(region)} is invalid`)
  if (endpoint != null) {
    if (useFipsEndpoint) {
      throw new TypeError('endpoint cannot be combined with useFipsEndpoint')
    }
    let url: URL
    try {
      url = new URL(endpoint)
    } catch {
      throw new TypeError('endpoint must be an absolute http(s) URL')
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new TypeError('endpoint must be an absolute http(s) URL')
    }
    return url.href
  }
  const suffix = DNS_SUFFIXES.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'amazonaws.com'
  if (useFipsEndpoint) {
    if (NON_FIPS_PREFIXES.some((prefix) => region.startsWith(prefix))) {
      throw new TypeError(`region ${region} has no FIPS endpoint for Secrets Manager`)
    }
    return `https://secretsmanager-fips.${region}.${suffix}/`
  }
  return `https://secretsmanager.${region}.${suffix}/`
}
