// Input and output shapes of the Secrets Manager operations this client speaks, written by hand
// from the service model (aws-model/secretsmanager/2017-10-17/service-2.json). Member names are
// the AWS wire names, unchanged. Two deliberate differences from the raw JSON:
// - blobs (`SecretBinary`) are `Uint8Array` (an `ArrayBuffer` is also accepted on input);
// - timestamps are `Date`.
// Input members accept an explicit `undefined`; output members are simply absent when the
// service sent no value (or sent `null`).

/** The operations this client calls (the `X-Amz-Target` suffix). */
export type Operation =
  | 'BatchGetSecretValue'
  | 'CreateSecret'
  | 'DeleteSecret'
  | 'DescribeSecret'
  | 'GetRandomPassword'
  | 'GetSecretValue'
  | 'ListSecrets'
  | 'PutSecretValue'
  | 'RestoreSecret'
  | 'UpdateSecret'

/** Per-call options accepted by every client method. */
export interface RequestOptions {
  /**
   * Cancels the call: the in-flight attempt and any backoff sleep. The call then rejects with
   * `signal.reason` and is never retried.
   */
  signal?: AbortSignal | undefined
}

/** A secret value in binary form, as accepted on input. It is always returned as `Uint8Array`. */
export type SecretBinaryInput = Uint8Array | ArrayBuffer

/** A key-value tag (`Tag`). */
export interface Tag {
  /** 1–128 characters. */
  Key?: string | undefined
  /** 0–256 characters. */
  Value?: string | undefined
}

/** A region to replicate a secret to (`ReplicaRegionType`). */
export interface ReplicaRegion {
  Region?: string | undefined
  KmsKeyId?: string | undefined
}

/** Replication state of one replica (`ReplicationStatusType`). */
export interface ReplicationStatus {
  Region?: string
  KmsKeyId?: string
  Status?: 'InSync' | 'Failed' | 'InProgress' | (string & {})
  StatusMessage?: string
  LastAccessedDate?: Date
}

/** A ListSecrets / BatchGetSecretValue filter (`Filter`). A leading `!` on a value negates it. */
export interface Filter {
  Key?:
    | 'description'
    | 'name'
    | 'tag-key'
    | 'tag-value'
    | 'primary-region'
    | 'owning-service'
    | 'all'
    | undefined
  /** 1–10 values, each up to 512 characters. */
  Values?: string[] | undefined
}

/** Rotation schedule (`RotationRulesType`). */
export interface RotationRules {
  AutomaticallyAfterDays?: number
  Duration?: string
  ScheduleExpression?: string
}

/** One entry of `ExternalSecretRotationMetadata`. */
export interface ExternalSecretRotationMetadataItem {
  Key?: string
  Value?: string
}

/** `CreateSecretRequest`. Send at most one of `SecretString` and `SecretBinary`. */
export interface CreateSecretRequest {
  /** 1–512 characters from ASCII letters, digits and `/_+=.@-`. */
  Name: string
  /**
   * Idempotency token, 32–64 characters; with a value it becomes the VersionId. Generated
   * (UUID v4) when none is given, with or without a value, and reused on every retry of the call.
   */
  ClientRequestToken?: string | undefined
  Description?: string | undefined
  KmsKeyId?: string | undefined
  /** 1–65,536 bytes. */
  SecretBinary?: SecretBinaryInput | undefined
  /** 1–65,536 characters. */
  SecretString?: string | undefined
  Tags?: Tag[] | undefined
  AddReplicaRegions?: ReplicaRegion[] | undefined
  ForceOverwriteReplicaSecret?: boolean | undefined
  Type?: string | undefined
}

/** `CreateSecretResponse`. `VersionId` is present only when a value was given. */
export interface CreateSecretResponse {
  ARN?: string
  Name?: string
  VersionId?: string
  ReplicationStatus?: ReplicationStatus[]
}

/** `GetSecretValueRequest`. Without VersionId or VersionStage the AWSCURRENT version is read. */
export interface GetSecretValueRequest {
  /** Name or ARN, 1–2048 characters. A secret in another account needs the full ARN. */
  SecretId: string
  VersionId?: string | undefined
  VersionStage?: string | undefined
}

/** `GetSecretValueResponse`: exactly one of `SecretString` and `SecretBinary` is set. */
export interface GetSecretValueResponse {
  ARN?: string
  Name?: string
  VersionId?: string
  SecretBinary?: Uint8Array
  SecretString?: string
  VersionStages?: string[]
  CreatedDate?: Date
}

/** `UpdateSecretRequest`. Changing only Description or KmsKeyId creates no version. */
export interface UpdateSecretRequest {
  SecretId: string
  /** See {@link CreateSecretRequest.ClientRequestToken}. */
  ClientRequestToken?: string | undefined
  Description?: string | undefined
  /** `""` selects the AWS managed key `aws/secretsmanager`. */
  KmsKeyId?: string | undefined
  SecretBinary?: SecretBinaryInput | undefined
  SecretString?: string | undefined
  Type?: string | undefined
}

/** `UpdateSecretResponse`. `VersionId` is present only when a version was created. */
export interface UpdateSecretResponse {
  ARN?: string
  Name?: string
  VersionId?: string
}

/** `PutSecretValueRequest`. Send exactly one of `SecretString` and `SecretBinary`. */
export interface PutSecretValueRequest {
  SecretId: string
  /** See {@link CreateSecretRequest.ClientRequestToken}. */
  ClientRequestToken?: string | undefined
  SecretBinary?: SecretBinaryInput | undefined
  SecretString?: string | undefined
  /** 1–20 labels to attach; defaults to AWSCURRENT. */
  VersionStages?: string[] | undefined
  RotationToken?: string | undefined
}

/** `PutSecretValueResponse`. */
export interface PutSecretValueResponse {
  ARN?: string
  Name?: string
  VersionId?: string
  VersionStages?: string[]
}

/** `DeleteSecretRequest`. The two options are mutually exclusive. */
export interface DeleteSecretRequest {
  SecretId: string
  /** 7–30 days. */
  RecoveryWindowInDays?: number | undefined
  ForceDeleteWithoutRecovery?: boolean | undefined
}

/** `DeleteSecretResponse`. */
export interface DeleteSecretResponse {
  ARN?: string
  Name?: string
  DeletionDate?: Date
}

/** `GetRandomPasswordRequest`. */
export interface GetRandomPasswordRequest {
  /** 1–4096; the service defaults to 32. */
  PasswordLength?: number | undefined
  ExcludeCharacters?: string | undefined
  ExcludeNumbers?: boolean | undefined
  ExcludePunctuation?: boolean | undefined
  ExcludeUppercase?: boolean | undefined
  ExcludeLowercase?: boolean | undefined
  IncludeSpace?: boolean | undefined
  RequireEachIncludedType?: boolean | undefined
}

/** `GetRandomPasswordResponse`. */
export interface GetRandomPasswordResponse {
  RandomPassword?: string
}

/** `DescribeSecretRequest`. */
export interface DescribeSecretRequest {
  SecretId: string
}

/** The metadata members DescribeSecret and ListSecrets have in common. */
export interface SecretMetadata {
  ARN?: string
  Name?: string
  Type?: string
  Description?: string
  KmsKeyId?: string
  RotationEnabled?: boolean
  RotationLambdaARN?: string
  RotationRules?: RotationRules
  ExternalSecretRotationMetadata?: ExternalSecretRotationMetadataItem[]
  ExternalSecretRotationRoleArn?: string
  LastRotatedDate?: Date
  LastChangedDate?: Date
  LastAccessedDate?: Date
  /** Set while the secret is scheduled for deletion. */
  DeletedDate?: Date
  NextRotationDate?: Date
  Tags?: Tag[]
  OwningService?: string
  CreatedDate?: Date
  PrimaryRegion?: string
}

/** `DescribeSecretResponse`. */
export interface DescribeSecretResponse extends SecretMetadata {
  /** Each VersionId mapped to its labels; only versions with at least one label are listed. */
  VersionIdsToStages?: Record<string, string[]>
  ReplicationStatus?: ReplicationStatus[]
}

/** `RestoreSecretRequest`. */
export interface RestoreSecretRequest {
  SecretId: string
}

/** `RestoreSecretResponse`. */
export interface RestoreSecretResponse {
  ARN?: string
  Name?: string
}

/** `ListSecretsRequest`. */
export interface ListSecretsRequest {
  IncludePlannedDeletion?: boolean | undefined
  /** 1–100. */
  MaxResults?: number | undefined
  NextToken?: string | undefined
  /** Up to 10 filters. */
  Filters?: Filter[] | undefined
  SortOrder?: 'asc' | 'desc' | undefined
  SortBy?: 'created-date' | 'last-accessed-date' | 'last-changed-date' | 'name' | undefined
}

/** One `SecretList` entry (`SecretListEntry`): the DescribeSecret fields, without secret values. */
export interface SecretListEntry extends SecretMetadata {
  /** Note the name: DescribeSecret calls the same map `VersionIdsToStages`. */
  SecretVersionsToStages?: Record<string, string[]>
}

/** `ListSecretsResponse`. A page may be empty and still carry a `NextToken`. */
export interface ListSecretsResponse {
  SecretList?: SecretListEntry[]
  NextToken?: string
}

/** `BatchGetSecretValueRequest`: give exactly one of `SecretIdList` and `Filters`. */
export interface BatchGetSecretValueRequest {
  /** 1–20 secret ids. */
  SecretIdList?: string[] | undefined
  Filters?: Filter[] | undefined
  /** 1–20, only together with `Filters`. */
  MaxResults?: number | undefined
  NextToken?: string | undefined
}

/** One `SecretValues` entry (`SecretValueEntry`). */
export interface SecretValueEntry {
  ARN?: string
  Name?: string
  VersionId?: string
  SecretBinary?: Uint8Array
  SecretString?: string
  VersionStages?: string[]
  CreatedDate?: Date
}

/** One `Errors` entry (`APIErrorType`): a secret that could not be read. */
export interface ApiErrorEntry {
  SecretId?: string
  ErrorCode?: string
  Message?: string
}

/** `BatchGetSecretValueResponse`. Per-secret failures go to `Errors`, not to a thrown error. */
export interface BatchGetSecretValueResponse {
  SecretValues?: SecretValueEntry[]
  NextToken?: string
  Errors?: ApiErrorEntry[]
}

/** Options of `getSecretString`, `getSecretBinary` and `getSecretJson`. */
export interface GetSecretOptions extends RequestOptions {
  VersionId?: string | undefined
  VersionStage?: string | undefined
}

/** Options of `writeSecret`. Description, KmsKeyId and Tags apply only when it creates the secret. */
export interface WriteSecretOptions extends RequestOptions {
  /** Reused for the PutSecretValue and, if needed, the CreateSecret call. Generated when absent. */
  ClientRequestToken?: string | undefined
  Description?: string | undefined
  KmsKeyId?: string | undefined
  Tags?: Tag[] | undefined
}

/** Result of `writeSecret`: the PutSecretValue or CreateSecret output, plus `created`. */
export interface WriteSecretResult {
  ARN?: string
  Name?: string
  VersionId?: string
  /** `true` when the secret did not exist and was created. */
  created: boolean
}

/** AWS credentials. `sessionToken` is required for temporary credentials (STS, SSO, roles). */
export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string | undefined
  /** When temporary credentials expire; the client asks its provider again 5 min before. */
  expiration?: Date | undefined
}

/** An async credentials source, called again shortly before the credentials it returned expire. */
export type AwsCredentialsProvider = () => Promise<AwsCredentials> | AwsCredentials

/** Options of `new SecretsManagerClient(options)`. */
export interface SecretsManagerClientOptions {
  /** The AWS region, e.g. `eu-west-1`. It picks the endpoint and is always used for signing. */
  region: string
  /** Static credentials, or a provider that is called again before `expiration`. */
  credentials: AwsCredentials | AwsCredentialsProvider
  /**
   * Endpoint override (the emulator, a VPC endpoint), used as given and still signed for
   * `region`. It cannot be combined with `useFipsEndpoint`.
   * @default `https://secretsmanager.{region}.amazonaws.com` (`.amazonaws.com.cn` in China)
   */
  endpoint?: string | URL
  /**
   * Use the FIPS endpoint `https://secretsmanager-fips.{region}.amazonaws.com`. Only the aws and
   * aws-us-gov partitions have one (and only some of their regions).
   * @default false
   */
  useFipsEndpoint?: boolean
  /**
   * Attempts per call, the first one included. `1` disables retries.
   * @default 3
   */
  maxAttempts?: number
  /**
   * Time limit of one attempt (request and response body), in milliseconds. A timed-out attempt
   * is retried like a network failure. `0` disables the limit.
   * @default 10_000
   */
  timeoutMs?: number
  /**
   * The fetch implementation. Read at call time, so a mock installed later is still used.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch
  /**
   * Clock seam: milliseconds since the epoch. Used for signing dates, credential expiry and
   * `Retry-After` dates.
   * @default Date.now
   */
  now?: () => number
  /**
   * Randomness seam for the backoff jitter: a number in [0, 1).
   * @default Math.random
   */
  random?: () => number
}
