/** Generators as they are written in metadata, each as a pattern matched on whole words. */
const GENERATOR_PATTERNS: [name: string, pattern: string][] = [
  ['Stable Diffusion', 'stable[ _-]?diffusion'],
  ['SDXL', 'sdxl'],
  ['Midjourney', 'mid[ _-]?journey'],
  ['DALL-E', 'dall[-·‧•. _]?e'],
  ['OpenAI', 'openai'],
  ['ChatGPT', 'chatgpt'],
  ['Firefly', 'firefly'],
  ['NovelAI', 'novel[ _-]?ai'],
  ['ComfyUI', 'comfy[ _-]?ui'],
  ['Automatic1111', 'automatic[ _-]?1111|a1111'],
  ['InvokeAI', 'invoke[ _-]?ai'],
  ['Imagen', 'imagen'],
  ['Gemini', 'gemini'],
  ['Flux', 'flux(?:\\.1)?'],
  ['Ideogram', 'ideogram'],
  ['Leonardo.Ai', 'leonardo[ .]?ai'],
  ['GAN', 'gans?'],
];

/** Only in a C2PA claim generator, where the name is the software's own: "Titan" elsewhere is too common a word. */
const CLAIM_GENERATOR_PATTERNS: [name: string, pattern: string][] = [...GENERATOR_PATTERNS, ['Amazon Titan', 'titan']];

function compile(patterns: [string, string][]): { name: string; regex: RegExp }[] {
  // Letters and digits on either side mean the name is part of a longer word ("organ", "imagenet").
  return patterns.map(([name, pattern]) => ({ name, regex: new RegExp(`(?<![\\p{L}\\p{N}])(?:${pattern})(?![\\p{L}\\p{N}])`, 'iu') }));
}

const GENERATORS = compile(GENERATOR_PATTERNS);
const CLAIM_GENERATORS = compile(CLAIM_GENERATOR_PATTERNS);

/** The first generator that `text` names on a whole-word match, if any. */
export function findGeneratorName(text: string): string | undefined {
  return GENERATORS.find(({ regex }) => regex.test(text))?.name;
}

export function findClaimGeneratorName(text: string): string | undefined {
  return CLAIM_GENERATORS.find(({ regex }) => regex.test(text))?.name;
}
