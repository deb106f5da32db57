/**
 * The text detector's browser client: `POST /text-detector/predict`, and, when the gateway's
 * router picks the `client` backend, the model run here with onnxruntime-web (wasm). A text is read
 * as the server reads it (libs/text-detection): tokens without special tokens, cut into overlapping
 * windows, each window's logits softmaxed in float64, the windows averaged by their text tokens.
 * The gateway serves this module as /text-detector/assets/detector-client.js for other pages too.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-web/wasm';
import { serverMessage } from '../verify/render';
import {
  aggregateWindows,
  machineLabelIndex,
  softmax,
  specialTokensOf,
  textVerdict,
  tokenWindows,
  type SpecialTokens,
} from '@switchyard/text-detection/browser';

export type Backend = 'local' | 'remote' | 'client';

/** What the router sends for the client backend: where the model is and how to read a text with it. */
export interface ClientModelInfo {
  model_url: string;
  tokenizer_url: string;
  tokenizer_config_url: string;
  model_bytes?: number;
  /** Hex SHA-256 of the model file: checked before the model is used. */
  model_sha256?: string;
  id2label: Record<string, string>;
  machine_label: string;
  machine_label_index?: number;
  max_length: number;
  overlap: number;
  threshold: number;
  /** Where onnxruntime-web's wasm files are served (a folder URL ending in `/`). */
  wasm_path: string;
}

/** `POST /text-detector/predict`'s answer when the router picks the client backend: no prediction yet. */
export interface ClientAnswer {
  prediction: null;
  probability: null;
  confidence: null;
  is_fake: null;
  backend: 'client';
  model_id: string;
  latency_ms: number;
  metadata: { note?: string; client: ClientModelInfo };
}

export interface PredictMetadata {
  /** The label of the verdict: the machine label when `is_fake`, else the likeliest other label. */
  label: string;
  /** Each label's probability, by label. */
  probabilities: Record<string, number>;
  /** The text's tokens, special tokens not counted. */
  tokens: number;
  windows: number;
  /** Why the router chose this backend, e.g. a fallback; empty when it took the preferred one. */
  note: string;
}

/** A prediction, whichever backend made it: the seed's fields. */
export interface PredictAnswer {
  prediction: 0 | 1;
  probability: number;
  confidence: number;
  is_fake: boolean;
  backend: Backend;
  model_id: string;
  latency_ms: number;
  metadata: PredictMetadata;
}

/** An error answer of the gateway, with its message and HTTP status. */
export class DetectorError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'DetectorError';
  }
}

interface LoadedModel {
  session: ort.InferenceSession;
  inputs: Map<string, ort.Tensor.Type>;
  logitsName: string;
}

interface LoadedTokenizer {
  tokenizer: Tokenizer;
  specials: SpecialTokens;
}

// One download and one session per model URL, one tokenizer per tokenizer URL, for the page's life.
const models = new Map<string, Promise<LoadedModel>>();
const tokenizers = new Map<string, Promise<LoadedTokenizer>>();
let runtimeConfigured = false;

async function fetchOk(url: string, what: string): Promise<Response> {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new DetectorError(`Could not download the ${what} (${url}): HTTP ${response.status}`, response.status);
  return response;
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The wasm runtime's settings, taken from the first client answer: onnxruntime-web reads them once. */
function configureRuntime(info: ClientModelInfo): void {
  if (runtimeConfigured) return;
  runtimeConfigured = true;
  ort.env.wasm.wasmPaths = info.wasm_path;
  // Threads need SharedArrayBuffer, which only a cross-origin isolated page (COOP + COEP) has.
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
}

/** The model's bytes as announced, or why they are not. */
async function checkedModel(info: ClientModelInfo, bytes: Uint8Array<ArrayBuffer>): Promise<string | undefined> {
  if (info.model_bytes !== undefined && bytes.byteLength !== info.model_bytes) return `has ${bytes.byteLength} bytes, not the ${info.model_bytes} announced`;
  if (!info.model_sha256) return undefined;
  const digest = hex(await crypto.subtle.digest('SHA-256', bytes));
  return digest === info.model_sha256.toLowerCase() ? undefined : `has the SHA-256 ${digest}, not the ${info.model_sha256} announced`;
}

/** Models kept with the Cache API, so a new page load does not download one again even when the HTTP cache let it go. */
const MODEL_CACHE = 'switchyard-text-detector-models';

/**
 * The model file: from the Cache API when a copy there has the announced SHA-256 (only a model with
 * a SHA-256 is kept there: without one a changed file could not be told apart), else downloaded.
 */
async function modelBytes(info: ClientModelInfo): Promise<Uint8Array<ArrayBuffer>> {
  const cache = info.model_sha256 && globalThis.caches ? await caches.open(MODEL_CACHE).catch(() => undefined) : undefined;
  const kept = await cache?.match(info.model_url);
  if (kept) {
    const bytes = new Uint8Array(await kept.arrayBuffer());
    if (!(await checkedModel(info, bytes))) return bytes;
    await cache!.delete(info.model_url);
  }
  const bytes = new Uint8Array(await (await fetchOk(info.model_url, 'model')).arrayBuffer());
  const problem = await checkedModel(info, bytes);
  if (problem) throw new DetectorError(`The model download ${problem}`);
  // A full cache (quota) only costs the next page load a download.
  await cache?.put(info.model_url, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } })).catch(() => undefined);
  return bytes;
}

async function loadModel(info: ClientModelInfo): Promise<LoadedModel> {
  const bytes = await modelBytes(info);
  configureRuntime(info);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const inputs = new Map<string, ort.Tensor.Type>();
  for (const input of session.inputMetadata) {
    if (!input.isTensor) throw new DetectorError(`The model's input ${input.name} is not a tensor`);
    inputs.set(input.name, input.type);
  }
  if (!inputs.has('input_ids')) throw new DetectorError(`The model has no input_ids input (its inputs: ${[...inputs.keys()].join(', ')})`);
  const logitsName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
  return { session, inputs, logitsName };
}

async function loadTokenizer(info: ClientModelInfo): Promise<LoadedTokenizer> {
  const [definition, config] = await Promise.all([
    fetchOk(info.tokenizer_url, 'tokenizer').then((response) => response.json()),
    fetchOk(info.tokenizer_config_url, 'tokenizer configuration').then((response) => response.json()),
  ]);
  const tokenizer = new Tokenizer(definition, config);
  const specials = specialTokensOf(tokenizer.encode('a').ids, tokenizer.encode('a', { add_special_tokens: false }).ids);
  return { tokenizer, specials };
}

/** A cached load that is forgotten when it fails, so the next call tries again. */
function cached<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let loading = cache.get(key);
  if (!loading) {
    loading = load();
    cache.set(key, loading);
    loading.catch(() => cache.delete(key));
  }
  return loading;
}

/** One window as a tensor of the dtype the model's input has (int64 or int32). */
function idTensor(type: ort.Tensor.Type, values: readonly number[]): ort.Tensor {
  const dims = [1, values.length];
  if (type === 'int64')
    return new ort.Tensor(
      'int64',
      BigInt64Array.from(values, (value) => BigInt(value)),
      dims,
    );
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(values), dims);
  throw new DetectorError(`The model's inputs are ${type}; only int64 and int32 are supported`);
}

/** The window's feed: its ids, an all-ones mask, and segment 0 where the model takes segments. */
function windowFeeds(model: LoadedModel, ids: readonly number[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, type] of model.inputs) {
    if (name === 'input_ids') feeds[name] = idTensor(type, ids);
    else if (name === 'attention_mask') feeds[name] = idTensor(type, new Array<number>(ids.length).fill(1));
    else if (name === 'token_type_ids') feeds[name] = idTensor(type, new Array<number>(ids.length).fill(0));
    else throw new DetectorError(`The model has an input ${name} the client does not know how to fill`);
  }
  return feeds;
}

/**
 * Runs a client answer's model on a text in this browser and answers with the server's fields
 * (`backend: "client"`). The model is downloaded and checked once per `model_url` and kept for
 * the page's life; across page loads the Cache API (models with a SHA-256) and the HTTP cache keep it.
 */
export async function predictInBrowser(answer: ClientAnswer, text: string): Promise<PredictAnswer> {
  const started = performance.now();
  const info = answer.metadata.client;
  const [model, { tokenizer, specials }] = await Promise.all([
    cached(models, info.model_url, () => loadModel(info)),
    cached(tokenizers, info.tokenizer_url, () => loadTokenizer(info)),
  ]);
  const textIds: number[] = tokenizer.encode(text, { add_special_tokens: false }).ids;
  const windows = tokenWindows(textIds, specials, { maxLength: info.max_length, overlap: info.overlap });
  const perWindow = [];
  for (const window of windows) {
    const outputs = await model.session.run(windowFeeds(model, window.ids));
    const logits = outputs[model.logitsName];
    perWindow.push({ probabilities: softmax(Array.from(logits.data as Float32Array)), textTokens: window.textTokens });
    for (const output of Object.values(outputs)) output.dispose();
  }
  const probabilities = aggregateWindows(perWindow);
  const machineIndex = info.machine_label_index ?? machineLabelIndex(info.id2label, info.machine_label);
  const verdict = textVerdict(probabilities[machineIndex], info.threshold);
  const labelOf = (index: number) => info.id2label[String(index)] ?? String(index);
  const otherIndex = probabilities.reduce((best, p, index) => (index !== machineIndex && (best < 0 || p > probabilities[best]) ? index : best), -1);
  return {
    ...verdict,
    backend: 'client',
    model_id: answer.model_id,
    latency_ms: performance.now() - started,
    metadata: {
      label: labelOf(verdict.is_fake || otherIndex < 0 ? machineIndex : otherIndex),
      probabilities: Object.fromEntries(probabilities.map((p, index) => [labelOf(index), p])),
      tokens: textIds.length,
      windows: windows.length,
      note: answer.metadata.note ?? '',
    },
  };
}

export function isClientAnswer(answer: unknown): answer is ClientAnswer {
  const candidate = answer as Partial<ClientAnswer> | null;
  return candidate?.backend === 'client' && candidate.prediction === null && typeof candidate.metadata?.client === 'object';
}

export interface TextDetectorClientOptions {
  /** The gateway's origin; this page's when absent. */
  baseUrl?: string;
  apiKey: string;
}

/** A model the gateway can run, as `GET /text-detector/models` lists it. */
export interface ModelList {
  configured_models: Record<string, Record<string, unknown>>;
  default_model: string;
}

/** The gateway's message from an error answer: the platform's `error` (web/verify's reading), or the seed's `detail`. */
async function errorOf(response: Response): Promise<DetectorError> {
  const body: unknown = await response.json().catch(() => undefined);
  const detail = (body as { detail?: unknown } | undefined)?.detail;
  const message = serverMessage(body) ?? (typeof detail === 'string' ? detail : undefined);
  const error = (body as { error?: { code?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  return new DetectorError(message ?? `The gateway answered HTTP ${response.status}`, response.status, code);
}

/** The gateway's text detector from a browser: the router decides where a text runs, this page included. */
export class TextDetectorClient {
  private readonly baseUrl: string;

  constructor(private readonly options: TextDetectorClientOptions) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
  }

  /** Detects whether a text is machine-written. `modelId` undefined: the gateway's default model. */
  async predict(text: string, modelId?: string, preferBackend?: Backend | 'modal'): Promise<PredictAnswer> {
    const started = performance.now();
    const answer = await this.request<PredictAnswer | ClientAnswer>('/text-detector/predict', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text, ...(modelId ? { model_id: modelId } : {}), ...(preferBackend ? { prefer_backend: preferBackend } : {}) }),
    });
    if (!isClientAnswer(answer)) return answer;
    const result = await predictInBrowser(answer, text);
    return { ...result, latency_ms: performance.now() - started };
  }

  models(): Promise<ModelList> {
    return this.request<ModelList>('/text-detector/models', {});
  }

  private async request<T>(path: string, init: RequestInit): Promise<T> {
    const response = await fetch(this.baseUrl + path, {
      ...init,
      headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${this.options.apiKey}` },
    });
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }
}
