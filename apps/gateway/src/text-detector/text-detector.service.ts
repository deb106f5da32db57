import { Inject, Injectable } from '@nestjs/common';
import { QUEUES, textDetectorContract, type TextDetectionResult, type TextDetectorOutput } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { NotFoundError, ServiceUnavailableError, ApiError } from '../http/api-errors';
import { parseOrThrow } from '../http/zod-validation';
import { CONFIG } from '../infra/tokens';
import type { Principal } from '../auth/principal';
import { JobsService } from '../jobs/jobs.service';
import { BackendRouter, type RoutedJob } from '../routing/backend-router';
import type { JobStatusResponse } from '../status/job-status-response';
import { batchPredictRequestSchema, predictRequestSchema } from './predict-request';
import { TextModelCatalog } from './text-model-catalog';
import { TextDetectorStats } from './text-detector-stats';

export const TEXT_DETECTOR_ENDPOINT = QUEUES.textDetector;
/** Where the browser client finds onnxruntime-web's wasm files, and a model's files (see TextDetectorController). */
export const ORT_WASM_PATH = '/text-detector/ort/';
export const modelFileUrl = (modelId: string, file: 'download' | 'tokenizer.json' | 'tokenizer_config.json' | 'config.json') =>
  `/text-detector/models/${encodeURIComponent(modelId)}/${file === 'download' ? 'download' : `files/${file}`}`;

/** The seed's answer for one text. `client` answers carry what the browser needs instead of a prediction. */
export interface PredictAnswer {
  prediction: 0 | 1 | null;
  probability: number | null;
  confidence: number | null;
  is_fake: boolean | null;
  backend: string;
  model_id: string;
  latency_ms: number;
  metadata: Record<string, unknown>;
}

/**
 * The seed's text-detector API on the platform: each request is routed (local queue, remote
 * endpoint, or the browser) and, unless it goes to the browser, runs as a `text-detector` job,
 * so it is queued, recorded and observable like any other.
 */
@Injectable()
export class TextDetectorService {
  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly catalog: TextModelCatalog,
    private readonly router: BackendRouter,
    private readonly jobs: JobsService,
    private readonly stats: TextDetectorStats,
  ) {}

  async predict(body: unknown, principal: Principal): Promise<PredictAnswer> {
    const request = parseOrThrow(predictRequestSchema, body, '');
    const [answer] = await this.run([request.text], request.model_id, request.prefer_backend, principal);
    return answer;
  }

  async batchPredict(body: unknown, principal: Principal) {
    const started = performance.now();
    const request = parseOrThrow(batchPredictRequestSchema, body, '');
    const results = await this.run(request.texts, request.model_id, request.prefer_backend, principal);
    return { results, total: results.length, backend: results[0].backend, model_id: results[0].model_id, latency_ms: elapsedMs(started) };
  }

  /** The model of a request: the default for none or "auto"; an unknown one is 404. */
  modelId(requested: string | undefined): string {
    const modelId = requested === undefined || requested === 'auto' ? this.catalog.defaultModel : requested;
    if (!this.catalog.has(modelId)) throw new NotFoundError(`Model "${modelId}" (configured models: ${this.catalog.ids.join(', ')})`, 'model_id');
    return modelId;
  }

  private async run(texts: string[], requestedModel: string | undefined, preferBackend: string | undefined, principal: Principal): Promise<PredictAnswer[]> {
    const started = performance.now();
    const modelId = this.modelId(requestedModel);
    try {
      const route = (await this.router.route(textDetectorContract, { modelId, preferBackend, allowClient: true }))!;
      const answers =
        route.backend === 'client' ? texts.map(() => this.clientAnswer(modelId, route, started)) : await this.runJob(texts, modelId, route, principal, started);
      this.stats.record(answers[0].backend, modelId, texts.length, route.skipped.length > 0, elapsedMs(started));
      return answers;
    } catch (error) {
      this.stats.recordError(modelId);
      throw error;
    }
  }

  private async runJob(texts: string[], modelId: string, route: RoutedJob, principal: Principal, started: number): Promise<PredictAnswer[]> {
    const input = texts.length === 1 ? { text: texts[0], model_id: modelId } : { texts, model_id: modelId };
    const status = await this.jobs.runSync(TEXT_DETECTOR_ENDPOINT, { input }, principal, this.config.TEXT_DETECTOR_WAIT_MS, { route });
    const output = completedOutput(status);
    const latency = elapsedMs(started);
    return output.results.map((result) => serverAnswer(result, output, status, latency));
  }

  /** What the browser needs to run the model itself: its files, labels and windows. */
  private clientAnswer(modelId: string, route: RoutedJob, started: number): PredictAnswer {
    const spec = this.catalog.spec(modelId)!;
    return {
      prediction: null,
      probability: null,
      confidence: null,
      is_fake: null,
      backend: 'client',
      model_id: modelId,
      latency_ms: elapsedMs(started),
      metadata: {
        note: route.note,
        client: {
          model_url: modelFileUrl(modelId, 'download'),
          tokenizer_url: modelFileUrl(modelId, 'tokenizer.json'),
          tokenizer_config_url: modelFileUrl(modelId, 'tokenizer_config.json'),
          model_bytes: spec.files.onnx.bytes,
          id2label: spec.id2label,
          machine_label: spec.machineLabel,
          machine_label_index: spec.machineLabelIndex,
          max_length: spec.maxLength,
          overlap: spec.overlap,
          threshold: 0.5,
          wasm_path: ORT_WASM_PATH,
        },
      },
    };
  }
}

function completedOutput(status: JobStatusResponse): TextDetectorOutput {
  if (status.status === 'COMPLETED') return status.output as TextDetectorOutput;
  if (status.status === 'FAILED') throw new ApiError(502, 'job_failed', `The detection job ${status.id} failed: ${describeJobError(status.error)}`);
  if (status.status === 'IN_QUEUE' || status.status === 'IN_PROGRESS') {
    throw new ApiError(
      504,
      'timeout',
      `The detection job ${status.id} did not finish in time; it is still ${status.status} (GET /v2/text-detector/status/${status.id})`,
    );
  }
  throw new ServiceUnavailableError(`The detection job ${status.id} ended ${status.status}`);
}

function describeJobError(error: string | undefined): string {
  if (!error) return 'no reason given';
  try {
    const parsed = JSON.parse(error) as { error_message?: string };
    return parsed.error_message ?? error;
  } catch {
    return error;
  }
}

function serverAnswer(result: TextDetectionResult, output: TextDetectorOutput, status: JobStatusResponse, latencyMs: number): PredictAnswer {
  return {
    prediction: result.prediction,
    probability: result.probability,
    confidence: result.confidence,
    is_fake: result.is_fake,
    backend: status.backend ?? 'local',
    model_id: output.model_id,
    latency_ms: latencyMs,
    metadata: {
      label: result.label,
      probabilities: result.probabilities,
      tokens: result.tokens,
      windows: result.windows,
      threshold: output.threshold,
      model_version: output.model_version,
      execution_provider: output.execution_provider,
      note: status.routeNote ?? '',
      job_id: status.id,
    },
  };
}

function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
