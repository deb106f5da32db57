import type { C2paSummary, EvidenceItem } from '@switchyard/provenance';
import type { VerdictDecider } from '@switchyard/image-detection';

/** The model's part of an analysis: the spai job that scored the image (or the near duplicate's, when trusted). */
export interface ModelResult {
  name: 'spai';
  version: string;
  score: number;
  threshold: number;
  is_ai_generated: boolean;
  patches_used: number;
  patches_total: number;
  /** The spai job, visible through /v2/spai/status/{id} while it is kept. */
  job_id: string;
  latency_ms: number;
  /** Set when the score is a near duplicate's, reused as ANALYZE_TRUST_NEAR_DUPLICATES allows. */
  reused_from?: string;
}

/** The body of a POST /v1/analyze answer. */
export interface AnalysisResult {
  sha256: string;
  /** The verdict was stored for these exact bytes: no job ran. */
  cache_hit: boolean;
  /** The closest stored image within ANALYZE_NEAR_DUPLICATE_DISTANCE bits of perceptual hash. */
  near_duplicate_of: { sha256: string; distance: number; label: string } | null;
  is_ai_generated: boolean;
  label: 'ai_generated' | 'authentic';
  /** In [0.5, 1]; at least 0.95 on strong evidence. */
  confidence: number;
  decided_by: VerdictDecider;
  /** SPAI's probability that the image was generated; null when the model could not run and evidence decided. */
  score: number | null;
  model: ModelResult | null;
  /** Why the model's part is missing, when it is. */
  model_error?: string;
  evidence: EvidenceItem[];
  /** The strong evidence that made or confirmed an AI verdict. */
  deciding_evidence: EvidenceItem[];
  c2pa: C2paSummary | null;
  image: { width: number; height: number; format: string; bytes: number };
  analyzed_at: string;
  latency_ms: number;
}
