import { Injectable } from '@nestjs/common';
import {
  EMBEDDER_INPUT_KEYS,
  EMBEDDING_MODELS,
  findEmbeddingModel,
  QUEUES,
  type EmbedderInputKey,
  type EmbedderOutput,
  type EmbeddingModelKey,
} from '@switchyard/shared';
import type { Principal } from '../auth/principal';
import { parseOrThrow } from '../http/zod-validation';
import type { JobInputIssue } from '../jobs/job-input';
import { JobsService } from '../jobs/jobs.service';
import { WAIT_LIMITS } from '../jobs/run-request';
import { embeddingsRequestSchema, float32Base64, type EmbeddingsRequest, type EmbeddingsResponse, type ModelObject } from './embeddings-request';
import { EmbeddingJobError, InvalidEmbeddingsRequestError, ModelNotFoundError } from './openai-errors';

/** The built-in endpoint whose jobs embed; its contract validates what this API builds. */
export const EMBEDDER_ENDPOINT = QUEUES.embedder;

type JobInput = Record<string, unknown>;

/** What to embed, as the embedder contract names it: the key and its value(s). */
function jobContent(request: EmbeddingsRequest, inputs: string | string[]): [EmbedderInputKey, string | string[]] {
  const list = Array.isArray(inputs);
  if (request.modality === 'text') return [list ? 'texts' : 'text', inputs];
  const values = list ? inputs : [inputs];
  const dataUris = values.filter((value) => value.startsWith('data:')).length;
  if (dataUris > 0 && dataUris < values.length) {
    throw new InvalidEmbeddingsRequestError('input', 'input mixes image URLs and data URIs; send one kind per request');
  }
  if (dataUris > 0) return [list ? 'images_base64' : 'image_base64', inputs];
  return [list ? 'image_urls' : 'image_url', inputs];
}

/** The texts (or images) of `input`: a string or a list of strings. Token arrays are refused. */
function inputsOf(input: unknown): string | string[] {
  if (typeof input === 'string') return input;
  if (input === undefined || input === null) throw new InvalidEmbeddingsRequestError('input', 'input is required');
  if (!Array.isArray(input)) throw new InvalidEmbeddingsRequestError('input', 'input must be a string or an array of strings');
  if (input.length === 0) throw new InvalidEmbeddingsRequestError('input', 'input must not be an empty array');
  if (input.some((item) => typeof item === 'number' || Array.isArray(item))) {
    throw new InvalidEmbeddingsRequestError('input', 'token arrays are not supported; send the text as strings');
  }
  const wrong = input.findIndex((item) => typeof item !== 'string');
  if (wrong >= 0) throw new InvalidEmbeddingsRequestError('input', `input[${wrong}] must be a string`);
  return input as string[];
}

/** A contract issue as OpenAI words it: its fields are `input`, `model` and `dimensions`. */
function contractIssue(issue: JobInputIssue, list: boolean): InvalidEmbeddingsRequestError {
  const [field, index] = issue.path;
  if ((EMBEDDER_INPUT_KEYS as readonly PropertyKey[]).includes(field)) {
    const where = list && typeof index === 'number' ? `input[${index}]` : 'input';
    return new InvalidEmbeddingsRequestError('input', `${where}: ${issue.message}`);
  }
  const param = typeof field === 'string' ? field : null;
  return new InvalidEmbeddingsRequestError(param, param ? `${param}: ${issue.message}` : issue.message);
}

/** A failed job's error: RunPod's JSON of a thrown exception (the worker's fault), else the handler's message about the input. */
function jobFailure(error: string | undefined): EmbeddingJobError {
  try {
    const thrown = JSON.parse(error ?? '') as { error_type?: string; error_message?: string };
    if (thrown.error_type) return new EmbeddingJobError(500, 'server_error', `Embedding failed: ${thrown.error_message}`);
  } catch {
    // not JSON: a message about the input
  }
  return new EmbeddingJobError(400, 'invalid_request_error', error ?? 'The embedding job failed', 'input');
}

/**
 * OpenAI's embeddings API on top of the job system: each request becomes one `embedder` job
 * (queued, recorded and batched with the others like any job) whose result is awaited.
 */
@Injectable()
export class OpenAiService {
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(private readonly jobs: JobsService) {}

  listModels(): { object: 'list'; data: ModelObject[] } {
    return { object: 'list', data: (Object.keys(EMBEDDING_MODELS) as EmbeddingModelKey[]).map((key) => this.modelObject(key)) };
  }

  retrieveModel(name: string): ModelObject {
    const key = findEmbeddingModel(name);
    if (!key) throw new ModelNotFoundError(name);
    return this.modelObject(key);
  }

  async createEmbeddings(body: unknown, principal: Principal): Promise<EmbeddingsResponse> {
    const request = this.parse(body);
    const modelKey = findEmbeddingModel(request.model);
    if (!modelKey) throw new ModelNotFoundError(request.model);
    const inputs = inputsOf(request.input);
    const [key, content] = jobContent(request, inputs);
    const input: JobInput = {
      [key]: content,
      model: EMBEDDING_MODELS[modelKey].id,
      ...(request.dimensions !== undefined && { dimensions: request.dimensions }),
    };
    // The job API checks the input against the embedder's contract; this API words what it finds.
    const status = await this.jobs.runSync(EMBEDDER_ENDPOINT, { input }, principal, WAIT_LIMITS.max, {
      describeInputIssue: (issue) => contractIssue(issue, Array.isArray(inputs)),
    });
    if (status.status === 'FAILED') throw jobFailure(status.error);
    if (status.status !== 'COMPLETED') {
      throw new EmbeddingJobError(504, 'timeout', `Embedding job ${status.id} did not complete within ${WAIT_LIMITS.max} ms (status ${status.status})`);
    }
    const output = status.output as EmbedderOutput;
    const vectors = output.vectors ?? [output.vector!];
    const tokens = output.tokens ?? 0;
    return {
      object: 'list',
      data: vectors.map((vector, index) => ({
        object: 'embedding',
        index,
        embedding: request.encoding_format === 'base64' ? float32Base64(vector) : vector,
      })),
      model: output.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }

  private parse(body: unknown): EmbeddingsRequest {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidEmbeddingsRequestError(null, 'The body must be a JSON object');
    }
    return parseOrThrow(embeddingsRequestSchema, body, '');
  }

  private modelObject(key: EmbeddingModelKey): ModelObject {
    return { id: EMBEDDING_MODELS[key].id, object: 'model', created: this.created, owned_by: 'switchyard' };
  }
}
