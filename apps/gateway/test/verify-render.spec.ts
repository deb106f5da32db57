import type { AnalysisResult } from '../web/verify/analysis';
import { meaningOf, sourceName } from '../web/verify/evidence-meaning';
import { describeResult, errorMessage, percent, serverMessage } from '../web/verify/render';

/** The verify page's pure parts: what each piece of evidence means, and what the page shows for an answer. */
const a1111 = { source: 'png-text', kind: 'a1111.parameters', detail: 'tEXt parameters: a lighthouse, Steps: 20', strength: 'strong' };

function result(overrides: Partial<AnalysisResult> = {}): AnalysisResult {
  return {
    sha256: 'a'.repeat(64),
    cache_hit: false,
    near_duplicate_of: null,
    is_ai_generated: true,
    label: 'ai_generated',
    confidence: 0.97,
    decided_by: 'evidence',
    score: 0.834,
    model: { name: 'spai', version: '1.0.0', patches_used: 12, patches_total: 16, job_id: 'job-1', latency_ms: 812 },
    evidence: [a1111, { source: 'filename', kind: 'generator-name', detail: 'midjourney in the name', strength: 'weak' }],
    deciding_evidence: [a1111],
    c2pa: null,
    image: { width: 1024, height: 768, format: 'png', bytes: 123456 },
    analyzed_at: '2026-12-01T12:00:00.000Z',
    latency_ms: 1234,
    ...overrides,
  };
}

describe('evidence meanings', () => {
  it.each([
    [
      { source: 'c2pa', kind: 'c2pa.trainedAlgorithmicMedia', strength: 'strong' },
      /Content Credentials \(C2PA\) say the image was made by a generative AI model/,
    ],
    [{ source: 'c2pa', kind: 'c2pa.compositeWithTrainedAlgorithmicMedia', strength: 'strong' }, /part of the image was made by a generative AI model/],
    [{ source: 'c2pa', kind: 'c2pa.signature.invalid', strength: 'weak' }, /do not validate/],
    [{ source: 'iptc', kind: 'iptc.digitalSourceType.trainedAlgorithmicMedia', strength: 'strong' }, /IPTC digital source type .* generative AI model/],
    [{ source: 'iptc', kind: 'iptc.digitalSourceType.algorithmicMedia', strength: 'weak' }, /without training data/],
    [{ source: 'xmp', kind: 'xmp.CreatorTool', strength: 'weak' }, /creator tool names an AI image generator/],
    [a1111, /PNG holds Stable Diffusion generation settings/],
    [{ source: 'png-text', kind: 'comfyui.workflow', strength: 'strong' }, /ComfyUI generation graph/],
    [{ source: 'png-text', kind: 'novelai', strength: 'strong' }, /NovelAI/],
    [{ source: 'png-text', kind: 'invokeai_metadata', strength: 'strong' }, /InvokeAI/],
    [{ source: 'exif', kind: 'exif.UserComment', strength: 'strong' }, /EXIF metadata's comment holds Stable Diffusion/],
    [{ source: 'exif', kind: 'Software', strength: 'weak' }, /EXIF Software field names an AI generator: a hint only/],
    [{ source: 'filename', kind: 'generator-name', strength: 'weak' }, /file name names an AI generator: a weak hint/],
    [{ source: 'source-url', kind: 'generator-site', strength: 'weak' }, /address the image came from/],
    [{ source: 'something-new', kind: 'x', strength: 'strong' }, /Strong provenance evidence/],
    [{ source: 'something-new', kind: 'x', strength: 'weak' }, /A weak hint/],
  ])('%j', (item, meaning) => {
    expect(meaningOf(item)).toMatch(meaning);
  });

  it('names the sources', () => {
    expect(sourceName('png-text')).toBe('PNG text chunk');
    expect(sourceName('c2pa')).toBe('Content Credentials (C2PA)');
    expect(sourceName('unknown')).toBe('unknown');
  });
});

describe('the result view', () => {
  it('shows the verdict, the numbers, what decided and the evidence with its meaning', () => {
    const view = describeResult(result());
    expect(view).toMatchObject({
      verdict: 'AI-generated',
      verdictClass: 'ai',
      score: '83.4%',
      confidence: '97%',
      decidedBy: 'Provenance evidence in the file',
      cache: 'Fresh analysis',
      nearDuplicate: 'No near duplicate known',
      c2pa: null,
      sha256: 'a'.repeat(64),
    });
    expect(view.evidence).toEqual([
      expect.objectContaining({ sourceName: 'PNG text chunk', strength: 'strong', deciding: true, meaning: expect.stringContaining('Stable Diffusion') }),
      expect.objectContaining({ sourceName: 'File name', strength: 'weak', deciding: false }),
    ]);
    expect(view.facts).toEqual(
      expect.arrayContaining([
        ['Size', '1024 × 768 px'],
        ['Format', 'png'],
        ['File size', '120.6 KiB'],
        ['Patches', '12 of 16'],
      ]),
    );
  });

  it('shows an authentic verdict, a cached one, a near duplicate, no model run and the C2PA summary', () => {
    const view = describeResult(
      result({
        is_ai_generated: false,
        label: 'authentic',
        cache_hit: true,
        near_duplicate_of: { sha256: 'b'.repeat(64), distance: 4 },
        score: null,
        model: null,
        decided_by: 'model_and_evidence',
        c2pa: {
          claimGenerator: 'Pixel Camera',
          digitalSourceTypes: ['http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture'],
          actions: ['c2pa.created'],
          softwareAgents: [],
          signature: 'valid',
          problems: ['untrusted certificate'],
        },
      }),
    );
    expect(view.verdict).toBe('Authentic');
    expect(view.verdictClass).toBe('authentic');
    expect(view.score).toBe('not run');
    expect(view.cache).toMatch(/^Cached verdict/);
    expect(view.nearDuplicate).toBe(`Near duplicate of ${'b'.repeat(64)} (4 of 64 bits differ)`);
    expect(view.decidedBy).toBe('Both the SPAI model and provenance evidence');
    expect(view.c2pa).toEqual([
      ['Claim generator', 'Pixel Camera'],
      ['Digital source types', 'digitalCapture'],
      ['Actions', 'c2pa.created'],
      ['Software agents', '–'],
      ['Signature', 'valid'],
      ['Problems', 'untrusted certificate'],
    ]);
  });

  it('formats percentages', () => {
    expect(percent(0.5)).toBe('50%');
    expect(percent(0.9999)).toBe('100%');
    expect(percent(null)).toBe('–');
  });
});

describe('error messages', () => {
  it('reads both error shapes', () => {
    expect(serverMessage({ error: 'Invalid, expired or revoked API key', code: 'unauthorized' })).toBe('Invalid, expired or revoked API key');
    expect(serverMessage({ error: { message: 'Invalid, expired or revoked API key', type: 'invalid_request_error' } })).toBe(
      'Invalid, expired or revoked API key',
    );
    expect(serverMessage('not json')).toBeUndefined();
  });

  it('says what to do for each status', () => {
    expect(errorMessage(401, { error: 'Invalid, expired or revoked API key' })).toBe(
      'The API key was refused: enter a valid API key. (Invalid, expired or revoked API key)',
    );
    expect(errorMessage(413, { error: 'Body too large' })).toMatch(/^The image is too large/);
    expect(errorMessage(415, { error: 'Not an image', field: 'file' })).toMatch(/could not be analysed as an image/);
    expect(errorMessage(429, { error: 'Slow down' }, '7')).toBe('Too many requests: try again in 7 s. (Slow down)');
    expect(errorMessage(503, undefined)).toBe('The analysis failed (HTTP 503).');
    expect(errorMessage(0, undefined)).toMatch(/could not be reached/);
  });
});
