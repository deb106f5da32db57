export type EvidenceStrength = 'strong' | 'weak';
export type EvidenceSource = 'c2pa' | 'iptc' | 'png-text' | 'exif' | 'xmp' | 'filename' | 'source-url';

/** One piece of evidence that the image was made, or partly made, by a generator. */
export interface EvidenceItem {
  source: EvidenceSource;
  /** Human-readable: what was found, e.g. 'C2PA manifest by "OpenAI DALL·E" declares c2pa.created with digitalSourceType trainedAlgorithmicMedia' */
  detail: string;
  strength: EvidenceStrength;
  /** Machine-readable key of what was found, e.g. 'c2pa.trainedAlgorithmicMedia', 'png.parameters', 'exif.software' */
  kind: string;
}

export interface C2paSummary {
  claimGenerator?: string;
  digitalSourceTypes: string[];
  actions: string[];
  softwareAgents: string[];
  signature: 'valid' | 'invalid' | 'unverified';
  problems: string[];
}

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'other';

export interface ProvenanceReport {
  format: ImageFormat;
  evidence: EvidenceItem[];
  c2pa?: C2paSummary;
  /** metadata blocks that could not be parsed; never throws for them */
  unreadable: string[];
}

export interface ProvenanceHints {
  filename?: string;
  sourceUrl?: string;
}
