import { loadModels, type ModelRuntimeConfig, type ModelSessions } from '@switchyard/model-runtime';
import { inputRefusal, textDetectorContract, type Logger, type TextDetectionResult, type TextDetectorInput, type TextDetectorOutput } from '@switchyard/shared';
import { textVerdict } from './detection-maths';
import { TooManyWindowsError, UnknownTextModelError } from './errors';
import type { TextModelRegistry } from './model-registry';
import { TextDetector, type TextDetection, type TextDetectorOptions } from './text-detector';

export interface TextDetectorServiceConfig {
  readonly registry: TextModelRegistry;
  /** `is_fake` when the machine probability is at or over this, unless a request gives its own. */
  readonly threshold: number;
  readonly detector: TextDetectorOptions;
  readonly runtime: ModelRuntimeConfig;
}

/** What a job returns for input the client must fix: RunPod fails the job with this `error`. */
export interface TextDetectorFailure {
  error: string;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * The `text-detector` endpoint's work: `{text}` or `{texts}` with an optional `model_id` in, per
 * text the probability of machine writing and the seed's fields out. Every model of the registry is
 * loaded at start-up; each has its own batcher, shared by concurrent jobs.
 */
export class TextDetectorService {
  constructor(
    readonly registry: TextModelRegistry,
    readonly detectors: ReadonlyMap<string, TextDetector>,
    private readonly sessions: ModelSessions,
    private readonly threshold: number,
  ) {}

  /** Loads, checks and warms up every model of the registry (files through the model store) in the inference threads. */
  static async load(config: TextDetectorServiceConfig, logger: Logger): Promise<TextDetectorService> {
    return loadModels(config.runtime, logger, async (store, sessions) => {
      const detectors = new Map<string, TextDetector>();
      try {
        for (const id of config.registry.ids) detectors.set(id, await TextDetector.load(store, sessions, id, config.registry.entry(id), config.detector));
      } catch (error) {
        await Promise.all([...detectors.values()].map((detector) => detector.close()));
        throw error;
      }
      return new TextDetectorService(config.registry, detectors, sessions, config.threshold);
    });
  }

  async handle(input: TextDetectorInput, signal?: AbortSignal): Promise<TextDetectorOutput | TextDetectorFailure> {
    const started = performance.now();
    const parsed = textDetectorContract.input.safeParse(input);
    if (!parsed.success) return inputRefusal(parsed.error);
    const request = parsed.data;
    try {
      const modelId = request.model_id ?? this.registry.defaultModel;
      const detector = this.detectorOf(modelId);
      const texts = request.texts ?? [request.text!];
      const threshold = request.threshold ?? this.threshold;
      const detections = await detector.detect(texts, signal);
      const { spec } = detector;
      return {
        model_id: modelId,
        model_version: `${spec.repo}@${spec.revision ?? 'local'}`,
        threshold,
        results: detections.map((detection) => this.result(detector, detection, threshold)),
        latency_ms: round(performance.now() - started),
        execution_provider: detector.session.provider,
      };
    } catch (error) {
      if (error instanceof UnknownTextModelError || error instanceof TooManyWindowsError) return { error: error.message };
      throw error;
    }
  }

  /** The loaded detector of a registry model. @throws UnknownTextModelError */
  detectorOf(modelId: string): TextDetector {
    const detector = this.detectors.get(modelId);
    if (!detector) throw new UnknownTextModelError(modelId, this.registry.ids);
    return detector;
  }

  /** Facts for the worker's /health: the models loaded, where they run, how batching goes. */
  describe(): Record<string, unknown> {
    return {
      executionProvider: this.sessions.executionProviders[0],
      inferenceThreads: this.sessions.inferenceThreads,
      defaultModel: this.registry.defaultModel,
      models: Object.fromEntries(
        [...this.detectors].map(([id, detector]) => [
          id,
          {
            version: `${detector.spec.repo}@${detector.spec.revision ?? 'local'}`,
            graph: detector.session.name,
            executionProvider: detector.session.provider,
            labels: detector.spec.id2label,
            machineLabel: detector.spec.machineLabel,
            maxLength: detector.spec.maxLength,
            overlap: detector.spec.overlap,
            batching: detector.stats(),
          },
        ]),
      ),
    };
  }

  /** Finishes the queued windows, then releases the models and ends the inference threads. */
  async close(): Promise<void> {
    await Promise.all([...this.detectors.values()].map((detector) => detector.close()));
    await this.sessions.release();
  }

  private result(detector: TextDetector, detection: TextDetection, threshold: number): TextDetectionResult {
    const { id2label, machineLabelIndex } = detector.spec;
    const verdict = textVerdict(detection.probabilities[machineLabelIndex], threshold);
    // The predicted class: the machine label when over the threshold, else the likeliest other class.
    const predicted = verdict.is_fake
      ? machineLabelIndex
      : detection.probabilities.reduce((best, p, index) => (index !== machineLabelIndex && (best < 0 || p > detection.probabilities[best]) ? index : best), -1);
    return {
      ...verdict,
      label: id2label[String(predicted)],
      probabilities: Object.fromEntries(detection.probabilities.map((p, index) => [id2label[String(index)], p])),
      tokens: detection.tokens,
      windows: detection.windows,
    };
  }
}
