import type { EvidenceStrength } from './types';

const IPTC_PREFIX = /^https?:\/\/cv\.iptc\.org\/newscodes\/digitalsourcetype\//i;

/** Digital source types that say a generator made all or part of the image, and why. */
const GENERATED_SOURCE_TYPES: Record<string, { strength: EvidenceStrength; meaning: string }> = {
  trainedAlgorithmicMedia: { strength: 'strong', meaning: 'made by a generative model' },
  compositeWithTrainedAlgorithmicMedia: { strength: 'strong', meaning: 'partly made by a generative model' },
  algorithmicMedia: { strength: 'strong', meaning: 'made by an algorithm' },
};

/** The bare IPTC code of a digital source type given as a URI or a code, e.g. 'trainedAlgorithmicMedia'. */
export function digitalSourceCode(value: string): string {
  return value.trim().replace(IPTC_PREFIX, '');
}

export function generatedSourceType(value: string): { code: string; strength: EvidenceStrength; meaning: string } | undefined {
  const code = digitalSourceCode(value);
  const known = Object.hasOwn(GENERATED_SOURCE_TYPES, code) ? GENERATED_SOURCE_TYPES[code] : undefined;
  return known && { code, ...known };
}
