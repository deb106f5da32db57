import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { BlobRef } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { CONFIG } from '../infra/tokens';

/** What a caller who asked for `?output=url` gets instead of the inline output. */
export interface BlobLink {
  url: string;
  /** Epoch ms after which the link is refused. */
  expiresAt: number;
  bytes: number;
  sha256: string;
  contentType: string;
}

export interface SignedBlobQuery {
  expires: number;
  type: string;
  signature: string;
}

/**
 * Short-lived links to blobs that the gateway serves without an API key: the link's HMAC (over
 * the endpoint, the blob, its content type and the expiry) is the permission.
 */
@Injectable()
export class BlobLinks {
  private readonly key: Buffer;
  private readonly ttlMs: number;

  constructor(@Inject(CONFIG) config: GatewayConfig) {
    this.key = config.BLOB_URL_SIGNING_KEY ? Buffer.from(config.BLOB_URL_SIGNING_KEY, 'utf8') : randomBytes(32);
    this.ttlMs = config.BLOB_URL_TTL_MS;
  }

  link(baseUrl: string, endpointId: string, ref: BlobRef, now = Date.now()): BlobLink {
    const expires = now + this.ttlMs;
    const query = new URLSearchParams({
      expires: String(expires),
      type: ref.contentType,
      signature: this.sign(endpointId, ref.blob, ref.contentType, expires),
    });
    const url = `${baseUrl}/v2/${encodeURIComponent(endpointId)}/blobs/${ref.blob}?${query}`;
    return { url, expiresAt: expires, bytes: ref.bytes, sha256: ref.sha256, contentType: ref.contentType };
  }

  /** Whether the link is genuine and still valid; the comparison takes the same time either way. */
  verify(endpointId: string, blob: string, query: SignedBlobQuery, now = Date.now()): boolean {
    if (!(query.expires > now)) return false;
    const expected = Buffer.from(this.sign(endpointId, blob, query.type, query.expires), 'utf8');
    const given = Buffer.from(query.signature, 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private sign(endpointId: string, blob: string, contentType: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${endpointId}\n${blob}\n${contentType}\n${expires}`).digest('base64url');
  }
}
