import { SwitchyardError } from '@switchyard/shared';

/**
 * Errors raised by this package. Request errors name the destination by its origin only
 * (scheme, host, port): paths and query strings often carry tokens, and header values never
 * appear in a message.
 */
export abstract class OutboundError extends SwitchyardError {}

export type UnsafeUrlReason = 'invalid-url' | 'unsupported-scheme' | 'credentials-in-url' | 'blocked-hostname' | 'blocked-address';

/** The URL, its host name or one of the addresses it resolves to is not an allowed destination. */
export class UnsafeUrlError extends OutboundError {
  constructor(
    readonly reason: UnsafeUrlReason,
    readonly target: string,
    detail: string,
  ) {
    super(`Refused ${target}: ${detail} (${reason})`);
  }
}

export class InvalidAddressPolicyError extends OutboundError {
  constructor(readonly entry: string) {
    super(`Invalid address policy allow-list entry "${entry}": expected an IP address, a CIDR or a host name`);
  }
}

export class RequestTimeoutError extends OutboundError {
  constructor(
    readonly target: string,
    readonly timeoutMs: number,
  ) {
    super(`Request to ${target} did not complete within ${timeoutMs} ms`);
  }
}

export class ResponseTooLargeError extends OutboundError {
  constructor(
    readonly target: string,
    readonly maxResponseBytes: number,
  ) {
    super(`Response from ${target} exceeds the limit of ${maxResponseBytes} bytes`);
  }
}

export class UnexpectedContentTypeError extends OutboundError {
  constructor(
    readonly target: string,
    readonly contentType: string | undefined,
    readonly accepted: readonly string[],
  ) {
    super(`Response from ${target} has content-type ${contentType ? `"${contentType}"` : '(none)'}, ` + `expected one of: ${accepted.join(', ')}`);
  }
}

export class TooManyRedirectsError extends OutboundError {
  constructor(
    readonly target: string,
    readonly maxRedirects: number,
  ) {
    super(`Request to ${target} was redirected more than ${maxRedirects} time(s)`);
  }
}

/** The connection could not be made or broke before the response was complete. */
export class UpstreamConnectionError extends OutboundError {
  constructor(
    readonly target: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Connection to ${target} failed: ${detail}`, options);
  }
}

/** The host name did not resolve to any address. */
export class HostResolutionError extends UpstreamConnectionError {}

/**
 * A webhook secret that is not `whsec_` (optional) followed by the base64 of 24 to 64 bytes.
 * The message never quotes the secret.
 */
export class InvalidWebhookSecretError extends OutboundError {
  constructor(detail: string) {
    super(`Invalid webhook secret: ${detail}; expected "whsec_" followed by the base64 of 24 to 64 random bytes`);
  }
}

export type WebhookVerificationReason = 'missing-headers' | 'invalid-timestamp' | 'timestamp-too-old' | 'timestamp-too-new' | 'no-matching-signature';

export class WebhookVerificationError extends OutboundError {
  constructor(
    readonly reason: WebhookVerificationReason,
    detail: string,
  ) {
    super(`Webhook verification failed: ${detail} (${reason})`);
  }
}
