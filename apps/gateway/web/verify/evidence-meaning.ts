import type { EvidenceItem } from './analysis';

/**
 * One sentence per evidence item saying what it means for the verdict, from its source and kind
 * (C2PA, IPTC digital source types, generator text chunks, weak hints). Pure: no DOM, so Jest tests it directly.
 */

const SOURCE_NAMES: Record<string, string> = {
  c2pa: 'Content Credentials (C2PA)',
  iptc: 'IPTC metadata',
  'png-text': 'PNG text chunk',
  exif: 'EXIF metadata',
  xmp: 'XMP metadata',
  filename: 'File name',
  'source-url': 'Source URL',
};

/** A readable name for an evidence source. */
export function sourceName(source: string): string {
  return SOURCE_NAMES[source] ?? source;
}

/** What an IPTC digital source type (as named in C2PA or IPTC/XMP) says about how the image was made; undefined when unknown. */
function digitalSourceMeaning(kind: string): string | undefined {
  const k = kind.toLowerCase();
  if (k.includes('compositewithtrainedalgorithmicmedia')) return 'part of the image was made by a generative AI model and combined with other material';
  if (k.includes('trainedalgorithmicmedia')) return 'the image was made by a generative AI model';
  if (k.includes('compositesynthetic')) return 'the image is a composite that includes synthetic elements';
  if (k.includes('algorithmicmedia')) return 'the image was made by an algorithm without training data (not generative AI)';
  if (k.includes('digitalcapture')) return 'the image was captured by a camera';
  if (k.includes('digitalart')) return 'the image is digital art made by a person';
  if (k.includes('minorhumanedits')) return 'a captured image was only slightly edited';
  return undefined;
}

const GENERATOR_CHUNKS: [RegExp, string][] = [
  [
    /parameters|a1111|automatic1111|forge|usercomment/i,
    'Stable Diffusion generation settings (prompt, sampler, seed, model hash) as AUTOMATIC1111 or Forge write them',
  ],
  [/comfy|workflow|\bprompt\b/i, 'a ComfyUI generation graph'],
  [/novelai/i, 'NovelAI generation settings'],
  [/invoke|sd-metadata|dream/i, 'InvokeAI generation metadata'],
];

function generatorChunk(kind: string): string | undefined {
  return GENERATOR_CHUNKS.find(([pattern]) => pattern.test(kind))?.[1];
}

/** The sentence for one evidence item. */
export function meaningOf(item: Pick<EvidenceItem, 'source' | 'kind' | 'strength'>): string {
  const strong = item.strength === 'strong';
  const kind = item.kind ?? '';
  switch (item.source) {
    case 'c2pa': {
      if (/signature|invalid|tamper/i.test(kind))
        return 'The Content Credentials (C2PA) in the file do not validate: the record of how it was made may have been altered.';
      const said = digitalSourceMeaning(kind);
      if (said) return `The image's signed Content Credentials (C2PA) say ${said}.`;
      return 'The image carries Content Credentials (C2PA), a signed record of the tool that made it and how it was edited.';
    }
    case 'iptc':
    case 'xmp': {
      const said = digitalSourceMeaning(kind);
      if (said) return `The IPTC digital source type in the file's metadata says ${said}; metadata is unsigned, but generators write it on purpose.`;
      if (/creatortool|software/i.test(kind)) return "The metadata's creator tool names an AI image generator: a hint, since anyone can edit this field.";
      return strong
        ? "The file's metadata names a generative AI source."
        : "The file's metadata mentions an AI generator: a hint only, since anyone can edit metadata.";
    }
    case 'png-text':
    case 'exif': {
      const chunk = generatorChunk(kind);
      const where = item.source === 'png-text' ? 'A text chunk in the PNG' : "The EXIF metadata's comment";
      if (chunk && strong) return `${where} holds ${chunk}: images straight out of an AI generator carry this.`;
      if (/software|artist|imagedescription|description|creator/i.test(kind))
        return `The EXIF ${kind} field names an AI generator: a hint only, since anyone can edit it.`;
      return strong ? `${where} was written by an AI image generator.` : `${where} mentions an AI generator: a hint only.`;
    }
    case 'filename':
      return 'The file name names an AI generator: a weak hint, since file names are easy to change.';
    case 'source-url':
      return 'The address the image came from names an AI generator or an AI image site: a weak hint about where it was made.';
    default:
      return strong ? 'Strong provenance evidence: it names a generative source.' : 'A weak hint: it only suggests a generative source.';
  }
}
