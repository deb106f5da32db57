import type { EvidenceItem, ProvenanceHints } from '../types';
import { generatorMention, quote } from './generator-mention';

/** Hosts that serve only generated images but do not spell the generator's name as a word. */
const GENERATOR_HOSTS: [host: RegExp, generator: string][] = [
  [/(^|\.)oaidalleapiprodscus\.blob\.core\.windows\.net$/i, 'DALL-E'],
  [/(^|\.)oaiusercontent\.com$/i, 'OpenAI'],
  [/(^|\.)mj-gallery\.com$/i, 'Midjourney'],
];

export function hintEvidence(hints: ProvenanceHints): EvidenceItem[] {
  const evidence: EvidenceItem[] = [];
  if (hints.filename) evidence.push(...generatorMention('filename', 'filename.generator', 'Filename', hints.filename));
  if (hints.sourceUrl) evidence.push(...sourceUrlEvidence(hints.sourceUrl));
  return evidence;
}

function sourceUrlEvidence(sourceUrl: string): EvidenceItem[] {
  const host = hostOf(sourceUrl);
  const known = host && GENERATOR_HOSTS.find(([pattern]) => pattern.test(host));
  if (known) {
    return [{ source: 'source-url', kind: 'sourceUrl.host', strength: 'weak', detail: `Source URL host ${quote(host)} serves ${known[1]} images` }];
  }
  return generatorMention('source-url', 'sourceUrl.generator', 'Source URL', sourceUrl);
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}
