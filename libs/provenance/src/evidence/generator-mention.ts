import { findGeneratorName } from '../generator-names';
import type { EvidenceItem, EvidenceSource } from '../types';

const MAX_QUOTED = 80;

/** Weak evidence when a free-text field names a generator, quoting the field. */
export function generatorMention(source: EvidenceSource, kind: string, field: string, value: string): EvidenceItem[] {
  const name = findGeneratorName(value);
  if (!name) return [];
  return [{ source, kind, strength: 'weak', detail: `${field} ${quote(value)} names ${name}` }];
}

export function quote(value: string): string {
  const text = value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value;
  return JSON.stringify(text);
}
