import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  fuseVerdict,
  OversizedImageError,
  perceptualHash,
  readImageHeader,
  SpaiImageError,
  type ImageHeader,
  type ModelVerdict,
} from '@switchyard/image-detection';
import { readProvenance, type ProvenanceReport } from '@switchyard/provenance';
import { QUEUES, type SpaiDetectionOutput } from '@switchyard/shared';
import type { Principal } from '../auth/principal';
import type { GatewayConfig } from '../config';
import { ImageVerdictRepository, type JsonValue, type NearestVerdict } from '../database/image-verdict.repository';
import { ApiError, ValidationError } from '../http/api-errors';
import { CONFIG } from '../infra/tokens';
import { JobsService } from '../jobs/jobs.service';
import type { AnalysisResult, ModelResult } from './analysis-result';
import type { AnalyzeSubject } from './analyze-request';

/** The endpoint whose jobs score images. */
export const SPAI_ENDPOINT = QUEUES.spai;

type ImageFacts = AnalysisResult['image'];

interface Inspection {
  image: ImageFacts;
  hash: bigint;
  provenance: ProvenanceReport;
}

/** What the model part of an analysis came to: a result, or why there is none. */
type ModelOutcome = { result: ModelResult } | { error: string; jobId?: string };

const round = (ms: number) => Math.round(ms * 100) / 100;

/** A problem decoding the image the client sent, as a 4xx naming the field. */
function imageProblem(error: unknown, field: string): ApiError | undefined {
  if (error instanceof OversizedImageError) return new ApiError(413, 'image_too_large', `${field}: ${error.message}`, field);
  if (error instanceof SpaiImageError) return new ApiError(415, 'unsupported_image', `${field}: ${error.message}`, field);
  return undefined;
}

/** A spai job's failure, told apart: a worker's exception (RunPod's JSON of it), or the handler's message about the input. */
function jobFailureMessage(error: string | undefined): string {
  try {
    const thrown = JSON.parse(error ?? '') as { error_message?: string };
    if (thrown.error_message) return thrown.error_message;
  } catch {
    // not JSON: the handler's own message
  }
  return error ?? 'the spai job failed';
}

/**
 * The seed web app's analyze route, on the platform: an image is hashed and looked up among the
 * project's stored verdicts, its provenance metadata read, its near duplicates found by perceptual
 * hash, and, unless cached, scored by a `spai` job (queued, batched and recorded like any job);
 * the model's verdict and the evidence are fused by the seed's rule and stored.
 */
@Injectable()
export class AnalyzeService {
  constructor(
    private readonly jobs: JobsService,
    private readonly verdicts: ImageVerdictRepository,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  async analyze(subject: AnalyzeSubject, principal: Principal): Promise<AnalysisResult> {
    const started = performance.now();
    const sha256 = createHash('sha256').update(subject.bytes).digest('hex');
    const cached = await this.verdicts.findBySha256(principal.projectId, sha256);
    if (cached) return { ...(cached.verdict as unknown as AnalysisResult), cache_hit: true, latency_ms: round(performance.now() - started) };

    const { image, hash, provenance } = await this.inspect(subject);
    const nearest = await this.verdicts.findNearest(principal.projectId, hash, this.config.ANALYZE_NEAR_DUPLICATE_DISTANCE, { excludeSha256: sha256 });
    const reused = nearest && this.config.ANALYZE_TRUST_NEAR_DUPLICATES ? reusedModelResult(nearest) : undefined;
    const outcome: ModelOutcome = reused ? { result: reused } : await this.score(subject.bytes, principal);
    const model = 'result' in outcome ? outcome.result : undefined;
    const modelVerdict: ModelVerdict | undefined = model && { score: model.score, isAiGenerated: model.is_ai_generated };

    const verdict = fuseVerdict(modelVerdict, provenance.evidence);
    if (!verdict) {
      const job = 'jobId' in outcome && outcome.jobId ? ` (job ${outcome.jobId})` : '';
      throw new ApiError(
        502,
        'analysis_failed',
        `The image could not be scored${job}, and its metadata holds no strong evidence: ${'error' in outcome ? outcome.error : ''}`,
      );
    }
    const result: AnalysisResult = {
      sha256,
      cache_hit: false,
      near_duplicate_of: nearest ? { sha256: nearest.sha256, distance: nearest.distance, label: labelOf(nearest) } : null,
      is_ai_generated: verdict.isAiGenerated,
      label: verdict.label,
      confidence: verdict.confidence,
      decided_by: verdict.decidedBy,
      score: model?.score ?? null,
      model: model ?? null,
      ...('error' in outcome ? { model_error: outcome.error } : {}),
      evidence: provenance.evidence,
      deciding_evidence: [...verdict.decidingEvidence],
      c2pa: provenance.c2pa ?? null,
      image,
      analyzed_at: new Date().toISOString(),
      latency_ms: round(performance.now() - started),
    };
    // A verdict without the model's part is not kept: the next request for the image runs the model again.
    if (model) {
      await this.verdicts.save({
        projectId: principal.projectId,
        sha256,
        phash: hash,
        verdict: result as unknown as JsonValue,
        evidence: provenance as unknown as JsonValue,
        score: model.score,
        jobId: model.job_id,
      });
    }
    return result;
  }

  /** The image's size and format (its header checked against the pixel limit first), perceptual hash and provenance evidence. */
  private async inspect(subject: AnalyzeSubject): Promise<Inspection> {
    const { field } = subject;
    const maxPixels = this.config.ANALYZE_MAX_IMAGE_PIXELS;
    let header: ImageHeader;
    let hash: bigint;
    try {
      header = await readImageHeader(subject.bytes, maxPixels);
      hash = await perceptualHash(subject.bytes, { maxPixels });
    } catch (error) {
      throw imageProblem(error, field) ?? error;
    }
    const provenance = await readProvenance(subject.bytes, { filename: subject.filename, sourceUrl: subject.sourceUrl });
    const { width, height, format } = header;
    return { image: { width, height, format, bytes: subject.bytes.length }, hash, provenance };
  }

  /** Runs a spai job on the bytes and waits for it, as /runsync would. */
  private async score(bytes: Buffer, principal: Principal): Promise<ModelOutcome> {
    const input = { image_base64: bytes.toString('base64') };
    const status = await this.jobs.runSync(SPAI_ENDPOINT, { input }, principal, this.config.ANALYZE_WAIT_MS, {
      // The image was checked already; an issue left is a contract limit, named as the client sent it.
      describeInputIssue: (issue) => new ValidationError('file', issue.message),
    });
    if (status.status === 'COMPLETED') {
      const output = status.output as SpaiDetectionOutput;
      return {
        result: {
          name: 'spai',
          version: output.model_version,
          score: output.score,
          threshold: output.threshold,
          is_ai_generated: output.is_ai_generated,
          patches_used: output.patches_used,
          patches_total: output.patches_total,
          job_id: status.id,
          latency_ms: output.latency_ms,
        },
      };
    }
    if (status.status === 'FAILED') return { error: jobFailureMessage(status.error), jobId: status.id };
    return { error: `the spai job did not finish within ${this.config.ANALYZE_WAIT_MS} ms (status ${status.status})`, jobId: status.id };
  }
}

function storedResult(nearest: NearestVerdict): AnalysisResult {
  return nearest.verdict.verdict as unknown as AnalysisResult;
}

function labelOf(nearest: NearestVerdict): string {
  return storedResult(nearest).label;
}

/** A near duplicate's model result, reused for this image. */
function reusedModelResult(nearest: NearestVerdict): ModelResult | undefined {
  const model = storedResult(nearest).model;
  return model ? { ...model, reused_from: nearest.sha256 } : undefined;
}
