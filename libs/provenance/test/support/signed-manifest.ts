import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import type * as Asset from '@trustnxt/c2pa-ts/asset';
import type * as Cose from '@trustnxt/c2pa-ts/cose';
import type * as ManifestModule from '@trustnxt/c2pa-ts/manifest';
import { importEsm as importEsmModule } from '../../src/c2pa/c2pa-library';

/** c2pa-ts and the @peculiar/x509 instance it checks certificates with are ESM; see src/c2pa/c2pa-library.ts. */
const importEsm = importEsmModule as <T>(specifier: string) => Promise<T>;

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

/**
 * A test CA and a leaf certificate that c2pa-ts accepts for manifest signing: v3, not self-signed, an authority key
 * identifier, critical key usage with digitalSignature and the documentSigning extended key usage. c2pa-ts checks the
 * certificates' form and dates but has no trust list, so a CA made here is enough. Node's WebCrypto keys are what
 * @peculiar/x509 takes, but this repo's TypeScript has no DOM types to say so: hence the `as never`s.
 */
async function testCredentials(x509: typeof X509) {
  x509.cryptoProvider.set(webcrypto as never);
  const notBefore = new Date(Date.now() - DAY);
  const notAfter = new Date(Date.now() + 30 * DAY);
  const caKeys = await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Switchyard test CA',
    notBefore,
    notAfter,
    keys: caKeys as never,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey as never),
    ],
  });
  const leafKeys = await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=Switchyard test signer',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: leafKeys.publicKey as never,
    signingKey: caKeys.privateKey as never,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.36']),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey as never),
    ],
  });
  const privateKey = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey as never));
  return { ca, leaf, privateKey };
}

/** A JPEG with a manifest store signed by c2pa-ts: a data hash over the file, a c2pa.created action, an ES256 signature. */
export async function signedJpeg(jpeg: Uint8Array, claimGenerator: string): Promise<Buffer> {
  const [x509, asset, cose, manifestModule] = await Promise.all([
    importEsm<typeof X509>('@peculiar/x509'),
    importEsm<typeof Asset>('@trustnxt/c2pa-ts/asset'),
    importEsm<typeof Cose>('@trustnxt/c2pa-ts/cose'),
    importEsm<typeof ManifestModule>('@trustnxt/c2pa-ts/manifest'),
  ]);
  const { ca, leaf, privateKey } = await testCredentials(x509);
  const signer = new cose.LocalSigner(privateKey, cose.CoseAlgorithmIdentifier.ES256, leaf, [ca]);

  const store = new manifestModule.ManifestStore();
  const manifest = store.createManifest({
    assetFormat: 'image/jpeg',
    instanceID: 'xmp:iid:7d9c1b2a-0000-4000-8000-000000000002',
    defaultHashAlgorithm: 'SHA-256',
    signer,
  });
  manifest.claim!.claimGeneratorName = claimGenerator;
  manifest.claim!.claimGeneratorVersion = undefined;
  const dataHash = manifestModule.DataHashAssertion.create('SHA-256');
  manifest.addAssertion(dataHash);
  const actions = new manifestModule.ActionAssertion();
  actions.actions = [{ action: manifestModule.ActionType.C2paCreated, digitalSourceType: manifestModule.DigitalSourceType.TrainedAlgorithmicMedia }];
  manifest.addAssertion(actions);

  const target = new asset.JPEG(jpeg);
  await target.ensureManifestSpace(store.measureSize());
  await dataHash.updateWithAsset(target);
  await manifest.sign(signer);
  await target.writeManifestJUMBF(store.getBytes());
  return Buffer.from(await target.getDataRange());
}
