import { z } from 'zod';
import { TEXT_DETECTOR_LIMITS } from '@switchyard/shared';

const text = z
  .string({ error: 'must be a string' })
  .min(TEXT_DETECTOR_LIMITS.minTextLength, `must be at least ${TEXT_DETECTOR_LIMITS.minTextLength} character`)
  .max(TEXT_DETECTOR_LIMITS.maxTextLength, `must be at most ${TEXT_DETECTOR_LIMITS.maxTextLength} characters`);

/** Names the body's type when it is not an object; other issues (unknown fields) keep zod's own message. */
const objectError = { error: (issue: { code: string }) => (issue.code === 'invalid_type' ? 'must be a JSON object' : undefined) };

const common = {
  /** A model of the registry; the default model when left out or "auto". */
  model_id: z.string({ error: 'must be a string' }).min(1, 'must not be empty').optional(),
  /** local, remote (the seed's modal) or client. */
  prefer_backend: z.string({ error: 'must be a string' }).min(1, 'must not be empty').optional(),
};

/** The seed's `POST /predict` body. */
export const predictRequestSchema = z.strictObject({ text, ...common }, objectError);

/** The seed's `POST /batch-predict` body: at most 100 texts. */
export const batchPredictRequestSchema = z.strictObject(
  {
    texts: z
      .array(text, { error: 'must be an array of strings' })
      .min(1, 'must hold at least one text')
      .max(TEXT_DETECTOR_LIMITS.maxBatchTexts, `must hold at most ${TEXT_DETECTOR_LIMITS.maxBatchTexts} texts`),
    ...common,
  },
  objectError,
);

export type PredictRequest = z.infer<typeof predictRequestSchema>;
export type BatchPredictRequest = z.infer<typeof batchPredictRequestSchema>;
