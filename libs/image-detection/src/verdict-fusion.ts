/** What the model said about an image: SPAI's score and its verdict at the endpoint's threshold. */
export interface ModelVerdict {
  readonly score: number;
  readonly isAiGenerated: boolean;
}

/** The one property of a piece of provenance evidence the rule reads. */
export interface WeighedEvidence {
  readonly strength: 'strong' | 'weak';
}

export type VerdictDecider = 'model' | 'evidence' | 'model_and_evidence';

export interface FusedVerdict<Evidence extends WeighedEvidence> {
  readonly isAiGenerated: boolean;
  readonly label: 'ai_generated' | 'authentic';
  /** In [0.5, 1]: how sure the verdict is. */
  readonly confidence: number;
  readonly decidedBy: VerdictDecider;
  /** The strong evidence that made (or confirmed) an AI verdict; empty otherwise. */
  readonly decidingEvidence: readonly Evidence[];
}

/** Confidence on strong provenance evidence is at least this, whatever the model's score. */
export const STRONG_EVIDENCE_CONFIDENCE = 0.95;

/**
 * The seed's fusion rule, kept: the image is AI-generated when the model says so or strong evidence
 * says so. Confidence is the score (1 − score when authentic), clamped to [0.5, 1], and at least
 * 0.95 on strong evidence. Weak evidence (a filename, a generator named in EXIF) is reported but
 * decides nothing. Without a model verdict (the job failed), strong evidence alone decides, and
 * an image with none cannot be judged: this returns undefined.
 */
export function fuseVerdict<Evidence extends WeighedEvidence>(
  model: ModelVerdict | undefined,
  evidence: readonly Evidence[],
): FusedVerdict<Evidence> | undefined {
  const strong = evidence.filter((item) => item.strength === 'strong');
  if (!model && strong.length === 0) return undefined;
  const isAiGenerated = (model?.isAiGenerated ?? false) || strong.length > 0;
  const modelConfidence = model ? (isAiGenerated ? model.score : 1 - model.score) : 0;
  const clamped = Math.min(1, Math.max(0.5, modelConfidence));
  const confidence = strong.length > 0 ? Math.max(clamped, STRONG_EVIDENCE_CONFIDENCE) : clamped;
  const decidedBy: VerdictDecider = strong.length === 0 ? 'model' : model?.isAiGenerated ? 'model_and_evidence' : 'evidence';
  return { isAiGenerated, label: isAiGenerated ? 'ai_generated' : 'authentic', confidence, decidedBy, decidingEvidence: strong };
}
