import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '@switchyard/shared';
import { generateMasterKey, SecretKeyError, SecretKeyring } from '@switchyard/secrets';
import type { GatewayConfig } from '../config';

/**
 * The keyring secrets at rest are sealed with. Production must be given its master key; a
 * development install gets one generated into SECRET_KEY_FILE once, and is told so.
 */
export function loadKeyring(config: GatewayConfig, tell: (message: string) => void): SecretKeyring {
  let current = config.SWITCHYARD_SECRET_KEY;
  if (!current) {
    if (config.NODE_ENV === 'production') {
      throw new ConfigError('gateway: SWITCHYARD_SECRET_KEY is required when NODE_ENV=production (32 random bytes, base64: openssl rand -base64 32)');
    }
    if (!existsSync(config.SECRET_KEY_FILE)) {
      mkdirSync(dirname(config.SECRET_KEY_FILE), { recursive: true });
      writeFileSync(config.SECRET_KEY_FILE, generateMasterKey() + '\n', { mode: 0o600 });
      chmodSync(config.SECRET_KEY_FILE, 0o600);
      tell(`SWITCHYARD_SECRET_KEY not set: generated a master key into ${config.SECRET_KEY_FILE}; back it up, and set SWITCHYARD_SECRET_KEY in production`);
    } else {
      tell(`SWITCHYARD_SECRET_KEY not set: using the master key in ${config.SECRET_KEY_FILE}`);
    }
    current = readFileSync(config.SECRET_KEY_FILE, 'utf8').trim();
  }
  try {
    return new SecretKeyring(current, config.SWITCHYARD_SECRET_KEY_PREVIOUS);
  } catch (error) {
    if (error instanceof SecretKeyError) throw new ConfigError(`gateway: ${error.message}`);
    throw error;
  }
}

/** What a key's webhook secret is bound to when sealed: it opens for that key's row only. */
export const webhookSecretContext = (apiKeyId: string) => `api_keys.webhook_secret:${apiKeyId}`;
