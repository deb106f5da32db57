/** RunPod's key permissions: read/write, read-only, or read/write restricted to chosen endpoints. */
export const KEY_PERMISSIONS = ['read_write', 'read_only', 'restricted'] as const;
export type KeyPermission = (typeof KEY_PERMISSIONS)[number];

/** `api`: the public APIs; `worker`: only RunPod's worker protocol, for the key's endpoints (external workers). */
export const KEY_SCOPES = ['api', 'worker'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/** The project that existing keys and jobs, and the key in SWITCHYARD_API_KEY, belong to. */
export const DEFAULT_PROJECT_ID = 'default';

/**
 * Who is calling: an API key from the database, or the key given in SWITCHYARD_API_KEY. Built
 * only from the key's stored record (or the configuration), never from anything in the request.
 */
export interface Principal {
  /** Stable id used for rate limits; `env` for the configured key. */
  id: string;
  /** Set for database keys; jobs record it. */
  apiKeyId?: string;
  /** The tenant whose jobs this key sees; every other project's jobs are "not found". */
  projectId: string;
  permission: KeyPermission;
  scope: KeyScope;
  /** The endpoint ids a `restricted` key may use, or a `worker` key may take jobs of; empty otherwise. */
  endpoints: readonly string[];
  /** Dashboard, key management, purge across projects and operational details. */
  admin: boolean;
  /** Epoch ms after which the key is refused; undefined: never. */
  expiresAt?: number;
}
