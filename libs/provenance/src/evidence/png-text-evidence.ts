import type { TextEntry } from '../metadata-blocks';
import type { EvidenceItem } from '../types';
import { generatorMention } from './generator-mention';

/** Keywords that generators, and only generators, write their settings under. */
const GENERATOR_KEYWORDS: Record<string, { generator: string; json?: boolean }> = {
  parameters: { generator: 'AUTOMATIC1111/Forge' },
  prompt: { generator: 'ComfyUI', json: true },
  workflow: { generator: 'ComfyUI', json: true },
  invokeai_metadata: { generator: 'InvokeAI' },
  invokeai_graph: { generator: 'InvokeAI' },
  'sd-metadata': { generator: 'InvokeAI' },
  Dream: { generator: 'InvokeAI' },
};

/** Free-text keywords that may name the software (PNG spec §11.3.4.2, plus what generators add). */
const DESCRIPTIVE_KEYWORDS = ['Software', 'Author', 'Description', 'Comment', 'Title', 'Source', 'Disclaimer'];

/** Setting names NovelAI writes into its Comment JSON. */
const NOVELAI_SETTINGS = ['steps', 'sampler', 'seed', 'scale'];

export function pngTextEvidence(entries: TextEntry[]): EvidenceItem[] {
  return entries.flatMap((entry) => generatorChunk(entry) ?? novelAiChunk(entry) ?? descriptiveChunk(entry));
}

function generatorChunk({ keyword, text }: TextEntry): EvidenceItem[] | undefined {
  const known = Object.hasOwn(GENERATOR_KEYWORDS, keyword) ? GENERATOR_KEYWORDS[keyword] : undefined;
  if (!known || (known.json && !parseJsonObject(text))) return undefined;
  const detail = `PNG text chunk ${JSON.stringify(keyword)} holds ${known.generator} generation metadata`;
  return [{ source: 'png-text', kind: `png.${keyword}`, strength: 'strong', detail }];
}

function novelAiChunk({ keyword, text }: TextEntry): EvidenceItem[] | undefined {
  if (keyword === 'Software' && text.trim() === 'NovelAI') {
    return [{ source: 'png-text', kind: 'png.software.novelai', strength: 'strong', detail: 'PNG Software text chunk is "NovelAI"' }];
  }
  const settings = keyword === 'Comment' ? parseJsonObject(text) : undefined;
  if (settings && NOVELAI_SETTINGS.filter((name) => Object.hasOwn(settings, name)).length >= 2) {
    const detail = 'PNG Comment text chunk holds generation settings as JSON (NovelAI)';
    return [{ source: 'png-text', kind: 'png.comment.settings', strength: 'strong', detail }];
  }
  return undefined;
}

function descriptiveChunk({ keyword, text }: TextEntry): EvidenceItem[] {
  if (!DESCRIPTIVE_KEYWORDS.includes(keyword)) return [];
  return generatorMention('png-text', `png.${keyword.toLowerCase()}`, `PNG ${keyword} text chunk`, text);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
