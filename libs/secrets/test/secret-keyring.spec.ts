import { generateMasterKey, isSealed, SecretDecryptionError, SecretKeyError, SecretKeyring } from '../src';

describe('SecretKeyring', () => {
  const oldKey = generateMasterKey();
  const newKey = generateMasterKey();

  it('round-trips a secret, sealed differently each time, never showing it', () => {
    const keyring = new SecretKeyring(oldKey);
    const first = keyring.seal('aws-secret-value', 'deployments:1');
    const second = keyring.seal('aws-secret-value', 'deployments:1');
    expect(isSealed(first)).toBe(true);
    expect(first).not.toEqual(second);
    expect(first).not.toContain('aws-secret-value');
    expect(first.split('.')[1]).toBe(keyring.currentKeyId);
    expect(keyring.open(first, 'deployments:1')).toBe('aws-secret-value');
    expect(keyring.open(keyring.seal(''), '')).toBe('');
  });

  it('detects tampering with any part, and an envelope moved to another record', () => {
    const keyring = new SecretKeyring(oldKey);
    const sealed = keyring.seal('runpod-key', 'deployments:1');
    const parts = sealed.split('.');
    for (const index of [2, 3, 4]) {
      const altered = [...parts];
      const bytes = Buffer.from(altered[index], 'base64url');
      bytes[0] ^= 1;
      altered[index] = bytes.toString('base64url');
      expect(() => keyring.open(altered.join('.'), 'deployments:1')).toThrow(SecretDecryptionError);
    }
    expect(() => keyring.open(sealed, 'deployments:2')).toThrow(/integrity check/);
    expect(() => keyring.open('not-an-envelope')).toThrow(/Not a sealed secret/);
  });

  it('fails clearly with the wrong master key, naming the key ids involved', () => {
    const sealed = new SecretKeyring(oldKey).seal('s');
    const wrong = new SecretKeyring(newKey);
    expect(() => wrong.open(sealed)).toThrow(SecretDecryptionError);
    expect(() => wrong.open(sealed)).toThrow(new RegExp(`${sealed.split('.')[1]}.*${wrong.currentKeyId}`));
  });

  it('rotates: the new key seals, previous keys still open, and rotation re-seals under the new key', () => {
    const sealedBefore = new SecretKeyring(oldKey).seal('webhook-secret', 'ctx');
    const rotating = new SecretKeyring(newKey, [oldKey]);
    expect(rotating.open(sealedBefore, 'ctx')).toBe('webhook-secret');
    expect(rotating.needsRotation(sealedBefore)).toBe(true);
    const rotated = rotating.rotate(sealedBefore, 'ctx');
    expect(rotating.needsRotation(rotated)).toBe(false);
    expect(rotated.split('.')[1]).toBe(rotating.currentKeyId);
    // Once the old key is dropped, only the rotated envelope still opens.
    const after = new SecretKeyring(newKey);
    expect(after.open(rotated, 'ctx')).toBe('webhook-secret');
    expect(() => after.open(sealedBefore, 'ctx')).toThrow(SecretDecryptionError);
    // A value from before sealing existed is sealed by rotation.
    expect(after.open(after.rotate('whsec_plain', 'ctx'), 'ctx')).toBe('whsec_plain');
  });

  it.each(['', 'short', Buffer.alloc(31).toString('base64'), 'not base64 at all!!'])('refuses a master key that is not 32 bytes of base64: %p', (key) => {
    expect(() => new SecretKeyring(key)).toThrow(SecretKeyError);
  });
});
