import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets at rest, sealed with AES-256-GCM under a master key. The envelope names the key that
 * sealed it, so the master key can rotate: the new key seals, the previous ones still open, and
 * `rotate` re-seals old envelopes until none is left. A context (what the secret is for and whose
 * it is) is bound in as associated data, so an envelope copied to another row does not open.
 *
 * Envelope: `sy1.<key id>.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
const VERSION = 'sy1';
const KEY_BYTES = 32;
const IV_BYTES = 12;

export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}

export class SecretDecryptionError extends Error {
  override readonly name = 'SecretDecryptionError';
}

/** A new master key, as SWITCHYARD_SECRET_KEY takes it. */
export function generateMasterKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** Whether a stored value is a sealed envelope (rather than a value kept in clear before sealing existed). */
export function isSealed(value: string): boolean {
  return value.startsWith(`${VERSION}.`);
}

function parseKey(encoded: string, name: string): Buffer {
  const key = Buffer.from(encoded.trim(), /[-_]/.test(encoded) ? 'base64url' : 'base64');
  if (key.length !== KEY_BYTES || !/^[A-Za-z0-9+/=_-]+$/.test(encoded.trim())) {
    throw new SecretKeyError(`${name} must be ${KEY_BYTES} random bytes, base64-encoded (for example: openssl rand -base64 32)`);
  }
  return key;
}

/** Names a key without revealing it: the first 8 bytes of its SHA-256. */
function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('switchyard secret key id').update(key).digest('hex').slice(0, 16);
}

export class SecretKeyring {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  /** `current` seals and opens; `previous` keys only open, while their envelopes are rotated. */
  constructor(current: string, previous: readonly string[] = []) {
    const currentKey = parseKey(current, 'SWITCHYARD_SECRET_KEY');
    this.currentKeyId = keyIdOf(currentKey);
    this.keys.set(this.currentKeyId, currentKey);
    for (const encoded of previous) {
      const key = parseKey(encoded, 'SWITCHYARD_SECRET_KEY_PREVIOUS');
      this.keys.set(keyIdOf(key), key);
    }
  }

  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.currentKeyId, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(envelope: string, context = ''): string {
    const parts = envelope.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretDecryptionError('Not a sealed secret (expected sy1.<key id>.<iv>.<ciphertext>.<tag>)');
    const [, keyId, iv, ciphertext, tag] = parts;
    const key = this.keys.get(keyId);
    if (!key) {
      throw new SecretDecryptionError(
        `Sealed with master key ${keyId}, which is neither SWITCHYARD_SECRET_KEY (${this.currentKeyId}) nor in SWITCHYARD_SECRET_KEY_PREVIOUS: is the master key the right one?`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError(`A secret sealed with master key ${keyId} failed its integrity check: it was altered, or belongs to another record`);
    }
  }

  /** Whether an envelope (or a value still in clear) should be sealed again under the current key. */
  needsRotation(value: string): boolean {
    return !isSealed(value) || value.split('.')[1] !== this.currentKeyId;
  }

  /** The value sealed under the current key; a value still in clear is sealed for the first time. */
  rotate(value: string, context = ''): string {
    return this.seal(isSealed(value) ? this.open(value, context) : value, context);
  }
}
