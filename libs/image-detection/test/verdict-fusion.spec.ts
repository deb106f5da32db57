import { fuseVerdict, STRONG_EVIDENCE_CONFIDENCE } from '../src';

const strong = { strength: 'strong' as const, kind: 'c2pa.trainedAlgorithmicMedia' };
const weak = { strength: 'weak' as const, kind: 'filename' };

describe('fuseVerdict (the seed’s rule)', () => {
  it('follows the model when there is no strong evidence: confidence = score, or 1 − score when authentic', () => {
    expect(fuseVerdict({ score: 0.8, isAiGenerated: true }, [])).toEqual({
      isAiGenerated: true,
      label: 'ai_generated',
      confidence: 0.8,
      decidedBy: 'model',
      decidingEvidence: [],
    });
    expect(fuseVerdict({ score: 0.1, isAiGenerated: false }, [weak])).toMatchObject({ isAiGenerated: false, label: 'authentic', confidence: 0.9 });
  });

  it('clamps confidence to [0.5, 1]', () => {
    // A threshold below 0.5 can call an image AI at a score of 0.3: its confidence is still 0.5.
    expect(fuseVerdict({ score: 0.3, isAiGenerated: true }, [])!.confidence).toBe(0.5);
    expect(fuseVerdict({ score: 0.6, isAiGenerated: false }, [])!.confidence).toBe(0.5);
  });

  it('calls an image AI on strong evidence even when the model does not, with confidence at least 0.95', () => {
    expect(fuseVerdict({ score: 0.2, isAiGenerated: false }, [weak, strong])).toEqual({
      isAiGenerated: true,
      label: 'ai_generated',
      confidence: STRONG_EVIDENCE_CONFIDENCE,
      decidedBy: 'evidence',
      decidingEvidence: [strong],
    });
    expect(fuseVerdict({ score: 0.99, isAiGenerated: true }, [strong])).toMatchObject({ confidence: 0.99, decidedBy: 'model_and_evidence' });
  });

  it('lets weak evidence decide nothing', () => {
    expect(fuseVerdict({ score: 0.4, isAiGenerated: false }, [weak, weak])).toMatchObject({ isAiGenerated: false, decidedBy: 'model', decidingEvidence: [] });
  });

  it('decides on strong evidence alone without a model verdict, and not at all without either', () => {
    expect(fuseVerdict(undefined, [strong])).toMatchObject({ isAiGenerated: true, confidence: STRONG_EVIDENCE_CONFIDENCE, decidedBy: 'evidence' });
    expect(fuseVerdict(undefined, [weak])).toBeUndefined();
  });
});
