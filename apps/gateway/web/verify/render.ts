import type { AnalysisResult, EvidenceItem } from './analysis';
import { meaningOf, sourceName } from './evidence-meaning';

/**
 * What the page shows for an answer of `POST /v1/analyze`, as plain data: verify.ts turns it into
 * DOM nodes (text only, never HTML). Pure, so Jest tests it without a browser.
 */
export interface EvidenceView {
  source: string;
  sourceName: string;
  kind: string;
  detail: string;
  strength: 'strong' | 'weak';
  meaning: string;
  deciding: boolean;
}

export interface ResultView {
  verdict: string;
  verdictClass: 'ai' | 'authentic';
  headline: string;
  score: string;
  confidence: string;
  decidedBy: string;
  cache: string;
  nearDuplicate: string;
  evidence: EvidenceView[];
  c2pa: [string, string][] | null;
  facts: [string, string][];
  sha256: string;
}

export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return `${Math.round(value * 1000) / 10}%`;
}

export function bytes(value: number): string {
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / 1024 / 1024).toFixed(1)} MiB`;
}

const DECIDED_BY: Record<string, string> = {
  model: 'The SPAI model (no decisive provenance evidence)',
  evidence: 'Provenance evidence in the file',
  model_and_evidence: 'Both the SPAI model and provenance evidence',
};

const sameItem = (a: EvidenceItem, b: EvidenceItem) => a.source === b.source && a.kind === b.kind && a.detail === b.detail;

export function describeResult(result: AnalysisResult): ResultView {
  const ai = result.is_ai_generated ?? result.label === 'ai_generated';
  const deciding = result.deciding_evidence ?? [];
  const evidence = (result.evidence ?? []).map((item): EvidenceView => ({
    source: item.source,
    sourceName: sourceName(item.source),
    kind: item.kind,
    detail: item.detail,
    strength: item.strength === 'strong' ? 'strong' : 'weak',
    meaning: meaningOf(item),
    deciding: deciding.some((other) => sameItem(item, other)),
  }));
  const c2pa = result.c2pa;
  const c2paRows: [string, string][] | null = c2pa
    ? [
        ['Claim generator', c2pa.claimGenerator || '–'],
        ['Digital source types', (c2pa.digitalSourceTypes ?? []).map((type) => type.split('/').pop() ?? type).join(', ') || '–'],
        ['Actions', (c2pa.actions ?? []).join(', ') || '–'],
        ['Software agents', (c2pa.softwareAgents ?? []).join(', ') || '–'],
        ['Signature', c2pa.signature ?? '–'],
        ...((c2pa.problems ?? []).length ? [['Problems', (c2pa.problems ?? []).join('; ')] as [string, string]] : []),
      ]
    : null;
  const facts: [string, string][] = [];
  if (result.image) {
    facts.push(['Size', `${result.image.width} × ${result.image.height} px`], ['Format', result.image.format], ['File size', bytes(result.image.bytes)]);
  }
  if (result.model) {
    facts.push(['Model', `${result.model.name} ${result.model.version}`], ['Patches', `${result.model.patches_used} of ${result.model.patches_total}`]);
  }
  if (result.analyzed_at) facts.push(['Analysed at', result.analyzed_at]);
  if (Number.isFinite(result.latency_ms)) facts.push(['Took', `${result.latency_ms} ms`]);
  return {
    verdict: ai ? 'AI-generated' : 'Authentic',
    verdictClass: ai ? 'ai' : 'authentic',
    headline: ai ? 'This image looks AI-generated' : 'This image looks authentic',
    score: result.score === null || result.score === undefined ? 'not run' : percent(result.score),
    confidence: percent(result.confidence),
    decidedBy: DECIDED_BY[result.decided_by] ?? result.decided_by,
    cache: result.cache_hit ? 'Cached verdict: this exact image was analysed before' : 'Fresh analysis',
    nearDuplicate: result.near_duplicate_of
      ? `Near duplicate of ${result.near_duplicate_of.sha256} (${result.near_duplicate_of.distance} of 64 bits differ)`
      : 'No near duplicate known',
    evidence,
    c2pa: c2paRows,
    facts,
    sha256: result.sha256,
  };
}

/** The server's message from either error shape: Switchyard's `{error: "…"}` or OpenAI's `{error: {message}}`. */
export function serverMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  return undefined;
}

/** The sentence the page shows for a failed request. */
export function errorMessage(status: number, body: unknown, retryAfter?: string | null): string {
  const said = serverMessage(body);
  const suffix = said ? ` (${said})` : '';
  if (status === 0) return 'The gateway could not be reached: check your connection and try again.';
  if (status === 401) return `The API key was refused: enter a valid API key.${suffix}`;
  if (status === 403) return `This API key may not analyse images.${suffix}`;
  if (status === 413) return `The image is too large for the gateway.${suffix}`;
  if (status === 415 || status === 400) return `That file could not be analysed as an image.${suffix}`;
  if (status === 429) return `Too many requests: try again${retryAfter ? ` in ${retryAfter} s` : ' shortly'}.${suffix}`;
  return said ? `The analysis failed: ${said} (HTTP ${status}).` : `The analysis failed (HTTP ${status}).`;
}
