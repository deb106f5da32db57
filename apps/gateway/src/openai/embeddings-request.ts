import { z } from 'zod';

/** OpenAI's `POST /v1/embeddings` body; `modality` is our extension (as in Infinity) to send images to an image model. */
export const embeddingsRequestSchema = z.object({
  model: z.string({ error: 'is required and must be a string' }).min(1, 'is required'),
  input: z.unknown(),
  encoding_format: z.enum(['float', 'base64'], { error: "must be 'float' or 'base64'" }).default('float'),
  dimensions: z.number({ error: 'must be a number' }).int('must be a whole number').positive('must be at least 1').optional(),
  /** Accepted for compatibility; the API key already identifies the caller. */
  user: z.string({ error: 'must be a string' }).max(256, 'is longer than 256 characters').optional(),
  modality: z.enum(['text', 'image'], { error: "must be 'text' or 'image'" }).default('text'),
});

export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

export interface EmbeddingObject {
  object: 'embedding';
  index: number;
  /** Floats, or base64 of their little-endian float32 bytes. */
  embedding: number[] | string;
}

export interface EmbeddingsResponse {
  object: 'list';
  data: EmbeddingObject[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** `encoding_format: "base64"`: the float32 values' little-endian bytes, as OpenAI sends them. */
export function float32Base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes.toString('base64');
}
