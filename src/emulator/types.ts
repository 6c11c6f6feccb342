/** One version of a secret as the emulator stores it. Dates are epoch milliseconds. */
export interface StoredVersion {
  VersionId: string
  /** Exactly one of SecretString and SecretBinary (base64, as on the wire) is set. */
  SecretString?: string
  SecretBinary?: string
  VersionStages: string[]
  CreatedDate: number
}

export interface StoredTag {
  Key: string
  Value: string
}

/** A secret as the emulator stores it: the whole secret is one record, so every write is atomic. */
export interface StoredSecret {
  Region: string
  ARN: string
  Name: string
  Description?: string
  KmsKeyId?: string
  Type?: string
  Tags?: StoredTag[]
  CreatedDate: number
  LastChangedDate: number
  LastAccessedDate?: number
  /**
   * The token of a CreateSecret that sent no value (with a value, the token is the first
   * VersionId), so a retry of that call is recognised.
   */
  ClientRequestToken?: string
  /** Set while the secret is scheduled for deletion: the moment it is removed for good. */
  DeletedDate?: number
  /** Oldest first. */
  Versions: StoredVersion[]
}

/**
 * Where the emulator keeps its secrets. Keys are opaque strings (`<region>:<name>`); each value is
 * a whole secret, read and written as one unit. Implement it to put the emulator on other storage.
 */
export interface EmulatorStore {
  get(key: string): Promise<StoredSecret | undefined>
  put(key: string, secret: StoredSecret): Promise<void>
  delete(key: string): Promise<void>
  /** Every secret whose key starts with `prefix`, in any order. */
  list(prefix: string): Promise<StoredSecret[]>
}
