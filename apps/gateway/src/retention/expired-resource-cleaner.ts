/**
 * Data with an expiry that lives outside the job tables (the claim-check blob store, for one) and
 * that the retention sweep deletes along with expired jobs. Register an implementation by
 * providing it under EXPIRED_RESOURCE_CLEANERS, for example
 * `{ provide: EXPIRED_RESOURCE_CLEANERS, inject: [BlobStore], useFactory: (blobs) => [blobs] }`.
 */
export interface ExpiredResourceCleaner {
  /** Names the resource in the sweep's counts and in the `table` label of `switchyard_retention_deleted_total`, e.g. `blobs`. */
  readonly resource: string;
  /**
   * Deletes at most `limit` items that expired before `before` and answers how many it deleted.
   * The sweep calls it again while it answers `limit`, so one call must stay small. It must be
   * idempotent and safe to run from several gateway replicas at once.
   */
  deleteExpired(before: Date, limit: number): Promise<number>;
}

/** Injection token for the list of ExpiredResourceCleaner the retention sweep runs; optional. */
export const EXPIRED_RESOURCE_CLEANERS = Symbol('ExpiredResourceCleaners');
