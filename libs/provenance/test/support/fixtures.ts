import sharp from 'sharp';
import {
  app11Segments,
  baseJpeg,
  basePng,
  baseWebp,
  itxt,
  pngChunk,
  riffChunk,
  text,
  withJpegSegments,
  withPngChunks,
  withWebpChunks,
  xmpPacket,
  xmpSegment,
  ztxt,
} from './containers';
import { buildManifestStore, TRAINED } from './jumbf';
import { signedJpeg } from './signed-manifest';

export const A1111_PARAMETERS = 'a castle on a hill\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Model hash: abc123';
export const XMP_ATTRIBUTE = xmpPacket(
  `<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" Iptc4xmpExt:DigitalSourceType="${TRAINED}"/>`,
);
export const XMP_ELEMENT = xmpPacket(
  '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"><Iptc4xmpExt:DigitalSourceType>compositeWithTrainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType></rdf:Description>',
);
export const MANIFEST = buildManifestStore({
  claimGenerator: 'OpenAI DALL·E c2pa-rs/0.31',
  actions: [{ action: 'c2pa.created', digitalSourceType: TRAINED }],
});

export const SIGNED_CLAIM_GENERATOR = 'OpenAI DALL·E';

/** Every file the tests build, by name, for the fuzz test to mutate. */
export async function buildFixtures(): Promise<Record<string, Buffer>> {
  const [png, jpeg, webp] = await Promise.all([basePng(), baseJpeg(), baseWebp()]);
  return {
    a1111Png: withPngChunks(png, [text('parameters', A1111_PARAMETERS)]),
    comfyPng: withPngChunks(png, [text('prompt', '{"3":{"class_type":"KSampler","inputs":{"seed":1}}}')]),
    compressedItxtPng: withPngChunks(png, [itxt('invokeai_metadata', '{"model":"sdxl"}', true)]),
    ztxtPng: withPngChunks(png, [ztxt('parameters', A1111_PARAMETERS)]),
    xmpPng: withPngChunks(png, [itxt('XML:com.adobe.xmp', XMP_ELEMENT, false)]),
    xmpAttributeJpeg: withJpegSegments(jpeg, [xmpSegment(XMP_ATTRIBUTE)]),
    xmpElementJpeg: withJpegSegments(jpeg, [xmpSegment(XMP_ELEMENT)]),
    c2paJpeg: withJpegSegments(jpeg, app11Segments(MANIFEST, 1)),
    c2paSplitJpeg: withJpegSegments(jpeg, app11Segments(MANIFEST, 2)),
    c2paPng: withPngChunks(png, [pngChunk('caBX', MANIFEST)]),
    c2paWebp: withWebpChunks(webp, [riffChunk('C2PA', MANIFEST)]),
    signedC2paJpeg: await signedJpeg(jpeg, SIGNED_CLAIM_GENERATOR),
    a1111Jpeg: await sharp(jpeg)
      .withExif({ IFD0: { Software: 'Made with Midjourney' } })
      .jpeg()
      .toBuffer(),
  };
}
