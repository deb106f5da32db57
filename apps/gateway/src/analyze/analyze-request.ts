import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ImageDownloadError, ImageInputError, ImageTooLargeError, type ImageLoader } from '@switchyard/outbound';
import { imageBase64Schema, imageUrlSchema, MAX_IMAGE_URL_LENGTH } from '@switchyard/shared';
import { ApiError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../http/api-errors';
import { parseOrThrow } from '../http/zod-validation';

/** The image an analysis is about, and the names it came with (weak provenance hints). */
export interface AnalyzeSubject {
  readonly bytes: Buffer;
  /** The request's field that held the image, which errors about it name. */
  readonly field: 'file' | 'image_url' | 'image_base64';
  readonly filename?: string;
  readonly sourceUrl?: string;
}

/** Multipart limits besides the file's size: one file and a few short text fields. */
export const MULTIPART_LIMITS = { files: 1, fields: 4, parts: 5, fieldSize: 4096, fieldNameSize: 100, headerPairs: 100 } as const;

const SOURCE_URL_FIELDS = ['sourceUrl', 'source_url'];
const JSON_FIELDS = ['image_url', 'image_base64', 'filename', ...SOURCE_URL_FIELDS];

const sourceUrl = z.string({ error: 'must be a string' }).max(MAX_IMAGE_URL_LENGTH, `is longer than ${MAX_IMAGE_URL_LENGTH} characters`);
const filename = z.string({ error: 'must be a string' }).max(255, 'is longer than 255 characters');

function jsonBody(maxImageBytes: number) {
  return z
    .object(
      {
        image_url: imageUrlSchema().optional(),
        image_base64: imageBase64Schema(maxImageBytes).optional(),
        filename: filename.optional(),
        source_url: sourceUrl.optional(),
        sourceUrl: sourceUrl.optional(),
      },
      { error: 'must be a JSON object' },
    )
    .catchall(z.unknown())
    .superRefine((body, ctx) => {
      for (const key of Object.keys(body)) {
        if (!JSON_FIELDS.includes(key))
          ctx.addIssue({ code: 'custom', path: [key], message: `is not a field of /v1/analyze; fields are ${JSON_FIELDS.join(', ')}` });
      }
      if ((body.image_url === undefined) === (body.image_base64 === undefined)) {
        ctx.addIssue({ code: 'custom', path: body.image_url === undefined ? [] : ['image_base64'], message: 'send exactly one of image_url and image_base64' });
      }
    });
}

/** @fastify/multipart's limit errors, by code, as the API words them. */
function multipartError(error: unknown, maxImageBytes: number): ApiError | undefined {
  switch ((error as { code?: unknown } | null)?.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new PayloadTooLargeError(`file: larger than the limit of ${maxImageBytes} bytes`);
    case 'FST_FILES_LIMIT':
      return new ValidationError('file', 'send one file');
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new ValidationError('body', `too many form fields; send file and optionally sourceUrl`);
    case 'FST_PROTO_VIOLATION':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new ValidationError('body', 'the multipart body is malformed');
    default:
      return undefined;
  }
}

/** A fetch or decode problem of the image a request names, as a 4xx naming the field. */
function imageError(error: ImageInputError, field: string): ApiError {
  if (error instanceof ImageTooLargeError) return new ApiError(413, 'payload_too_large', `${field}: ${error.message}`, field);
  if (error instanceof ImageDownloadError) return new ApiError(422, 'image_unreachable', `${field}: ${error.message}`, field);
  return new ValidationError(field, error.message);
}

async function fromMultipart(request: FastifyRequest, maxImageBytes: number): Promise<AnalyzeSubject> {
  let file: { bytes: Buffer; filename?: string } | undefined;
  let source: string | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') throw new ValidationError(part.fieldname, 'is not a file field of /v1/analyze; send the image as `file`');
        const bytes = await part.toBuffer();
        file = { bytes, filename: part.filename || undefined };
      } else if (SOURCE_URL_FIELDS.includes(part.fieldname)) {
        source = parseOrThrow(sourceUrl, part.value, part.fieldname);
      } else {
        throw new ValidationError(part.fieldname, 'is not a field of /v1/analyze; send file and optionally sourceUrl');
      }
    }
  } catch (error) {
    throw multipartError(error, maxImageBytes) ?? error;
  }
  if (!file) throw new ValidationError('file', 'is required: send the image as the multipart field `file`');
  if (file.bytes.length === 0) throw new ValidationError('file', 'is empty');
  return { bytes: file.bytes, field: 'file', filename: file.filename, sourceUrl: source };
}

async function fromJson(body: unknown, loader: ImageLoader): Promise<AnalyzeSubject> {
  const result = jsonBody(loader.maxBytes).safeParse(body);
  if (!result.success) {
    const [issue] = result.error.issues;
    throw new ValidationError(issue.path.map(String).join('.') || 'body', issue.message);
  }
  const parsed = result.data;
  const source = parsed.source_url ?? parsed.sourceUrl;
  const field = parsed.image_url !== undefined ? 'image_url' : 'image_base64';
  try {
    const bytes = parsed.image_url !== undefined ? await loader.download(parsed.image_url) : loader.decodeBase64(parsed.image_base64!);
    return { bytes, field, filename: parsed.filename, sourceUrl: source ?? parsed.image_url };
  } catch (error) {
    if (error instanceof ImageInputError) throw imageError(error, field);
    throw error;
  }
}

/**
 * The image of a POST /v1/analyze: a multipart `file` (with an optional `sourceUrl` field), or JSON
 * `{image_url}` (fetched with the SSRF-safe client) or `{image_base64}`. Problems are 4xx errors
 * naming the field.
 */
export function readAnalyzeRequest(request: FastifyRequest, loader: ImageLoader): Promise<AnalyzeSubject> {
  if (request.isMultipart()) return fromMultipart(request, loader.maxBytes);
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new UnsupportedMediaTypeError('send multipart/form-data with a `file` field, or application/json with image_url or image_base64');
  }
  return fromJson(request.body, loader);
}
