/** Who is calling: an API key from the database, or the key given in SWITCHYARD_API_KEY. */
export interface Principal {
  /** Stable id used for rate limits and job ownership; `env` for the configured key. */
  id: string;
  /** Set for database keys; jobs record it. */
  apiKeyId?: string;
  webhookSecret: string;
}
