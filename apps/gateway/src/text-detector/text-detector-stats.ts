import { Injectable } from '@nestjs/common';

/** The seed's `/stats`: what this gateway process answered since it started, by backend and by model. */
@Injectable()
export class TextDetectorStats {
  private readonly since = new Date();
  private readonly byBackend = new Map<string, number>();
  private readonly byModel = new Map<string, { requests: number; texts: number; errors: number }>();
  private requests = 0;
  private texts = 0;
  private fallbacks = 0;
  private errors = 0;
  private latencyMsTotal = 0;

  record(backend: string, modelId: string, texts: number, fellBack: boolean, latencyMs: number): void {
    this.requests += 1;
    this.texts += texts;
    if (fellBack) this.fallbacks += 1;
    this.latencyMsTotal += latencyMs;
    this.byBackend.set(backend, (this.byBackend.get(backend) ?? 0) + 1);
    const model = this.model(modelId);
    model.requests += 1;
    model.texts += texts;
  }

  recordError(modelId: string): void {
    this.errors += 1;
    this.model(modelId).errors += 1;
  }

  snapshot() {
    return {
      since: this.since.toISOString(),
      total_requests: this.requests,
      total_texts: this.texts,
      errors: this.errors,
      fallbacks: this.fallbacks,
      mean_latency_ms: this.requests ? Math.round((this.latencyMsTotal / this.requests) * 100) / 100 : null,
      by_backend: Object.fromEntries(this.byBackend),
      by_model: Object.fromEntries(this.byModel),
    };
  }

  private model(modelId: string) {
    let model = this.byModel.get(modelId);
    if (!model) this.byModel.set(modelId, (model = { requests: 0, texts: 0, errors: 0 }));
    return model;
  }
}
