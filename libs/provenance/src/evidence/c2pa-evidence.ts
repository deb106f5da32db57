import { generatedSourceType } from '../digital-source-type';
import { findClaimGeneratorName } from '../generator-names';
import type { C2paSummary, EvidenceItem } from '../types';

export function c2paEvidence(summary: C2paSummary): EvidenceItem[] {
  const by = summary.claimGenerator ? ` by ${JSON.stringify(summary.claimGenerator)}` : '';
  const evidence: EvidenceItem[] = summary.digitalSourceTypes.flatMap((value) => {
    const type = generatedSourceType(value);
    if (!type) return [];
    const actions = summary.actions.join(', ') || 'an action';
    const detail = `C2PA manifest${by} declares ${actions} with digitalSourceType ${type.code} (${type.meaning})`;
    return [{ source: 'c2pa', kind: `c2pa.${type.code}`, strength: type.strength, detail }];
  });
  const namedGenerator = [summary.claimGenerator ?? '', ...summary.softwareAgents]
    .map((name) => [name, findClaimGeneratorName(name)] as const)
    .find(([, generator]) => generator);
  if (namedGenerator) {
    const [name, generator] = namedGenerator;
    const detail = `C2PA manifest names ${generator} as its generator (${JSON.stringify(name)})`;
    evidence.push({ source: 'c2pa', kind: 'c2pa.generator', strength: 'strong', detail });
  }
  return evidence;
}
