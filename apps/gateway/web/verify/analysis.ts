/** The body of `POST /v1/analyze`'s 200 answer, as the page reads it. */
export type EvidenceSource = 'c2pa' | 'iptc' | 'png-text' | 'exif' | 'xmp' | 'filename' | 'source-url';

export interface EvidenceItem {
  source: EvidenceSource | string;
  kind: string;
  detail: string;
  strength: 'strong' | 'weak' | string;
}

export interface C2paSummary {
  claimGenerator?: string | null;
  digitalSourceTypes?: string[];
  actions?: string[];
  softwareAgents?: string[];
  signature?: 'valid' | 'invalid' | 'unverified' | string;
  problems?: string[];
}

export interface AnalysisResult {
  sha256: string;
  cache_hit: boolean;
  near_duplicate_of: { sha256: string; distance: number } | null;
  is_ai_generated: boolean;
  label: 'ai_generated' | 'authentic' | string;
  confidence: number;
  decided_by: 'model' | 'evidence' | 'model_and_evidence' | string;
  score: number | null;
  model: { name: string; version: string; patches_used: number; patches_total: number; job_id: string; latency_ms: number } | null;
  evidence: EvidenceItem[];
  deciding_evidence: EvidenceItem[];
  c2pa: C2paSummary | null;
  image: { width: number; height: number; format: string; bytes: number } | null;
  analyzed_at: string;
  latency_ms: number;
}
