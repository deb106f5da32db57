import { generatedSourceType } from '../digital-source-type';
import type { EvidenceItem } from '../types';
import type { XmpFacts } from '../xmp';
import { generatorMention } from './generator-mention';

/** The Credit line Google's generators write next to the digital source type. */
const GOOGLE_AI_CREDIT = /^made with google ai$/i;

export function xmpEvidence(facts: XmpFacts): EvidenceItem[] {
  return [
    ...facts.digitalSourceTypes.flatMap(digitalSourceTypeEvidence),
    ...facts.credits.flatMap(creditEvidence),
    ...facts.creatorTools.flatMap((tool) => generatorMention('xmp', 'xmp.creatorTool', 'XMP CreatorTool', tool)),
    ...facts.creators.flatMap((creator) => generatorMention('xmp', 'xmp.creator', 'XMP dc:creator', creator)),
  ];
}

function digitalSourceTypeEvidence(value: string): EvidenceItem[] {
  const type = generatedSourceType(value);
  if (!type) return [];
  const detail = `IPTC DigitalSourceType ${type.code}: ${type.meaning}`;
  return [{ source: 'iptc', kind: `iptc.${type.code}`, strength: type.strength, detail }];
}

function creditEvidence(credit: string): EvidenceItem[] {
  if (GOOGLE_AI_CREDIT.test(credit.trim())) {
    return [{ source: 'xmp', kind: 'xmp.credit.googleAi', strength: 'strong', detail: 'XMP Credit "Made with Google AI"' }];
  }
  return generatorMention('xmp', 'xmp.credit', 'XMP Credit', credit);
}
