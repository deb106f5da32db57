import type { ExifStrings } from '../exif';
import type { EvidenceItem } from '../types';
import { generatorMention } from './generator-mention';

const FIELDS: [field: keyof ExifStrings, label: string][] = [
  ['software', 'EXIF Software'],
  ['artist', 'EXIF Artist'],
  ['imageDescription', 'EXIF ImageDescription'],
  ['make', 'EXIF Make'],
  ['model', 'EXIF Model'],
  ['userComment', 'EXIF UserComment'],
];

/** AUTOMATIC1111 writes its parameters as "prompt\nNegative prompt: …\nSteps: 20, Sampler: …, Seed: …". */
const A1111_PARAMETERS = /\bSteps: *\d+/;
const A1111_SETTING = /\b(?:Sampler|Seed|CFG scale|Model hash): /;

export function exifEvidence(exif: ExifStrings): EvidenceItem[] {
  const comment = exif.userComment ?? '';
  if (A1111_PARAMETERS.test(comment) && A1111_SETTING.test(comment)) {
    const detail = 'EXIF UserComment holds AUTOMATIC1111-style generation parameters';
    return [{ source: 'exif', kind: 'exif.userComment.parameters', strength: 'strong', detail }, ...mentions(exif, 'userComment')];
  }
  return mentions(exif);
}

function mentions(exif: ExifStrings, skip?: keyof ExifStrings): EvidenceItem[] {
  return FIELDS.filter(([field]) => field !== skip).flatMap(([field, label]) => {
    const value = exif[field];
    return value ? generatorMention('exif', `exif.${field}`, label, value) : [];
  });
}
