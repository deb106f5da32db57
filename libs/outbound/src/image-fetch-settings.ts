import { z } from 'zod';
import { env } from '@switchyard/shared';
import { AddressPolicy } from './address-policy';
import type { ImageLoaderOptions } from './image-loader';

/** How an app downloads the images requests name by URL: ImageLoaderOptions less the size limit. */
export type ImageFetchSettings = Pick<ImageLoaderOptions, 'timeoutMs' | 'maxRedirects' | 'addressPolicy'>;

const timeoutMs = env.positiveInt(10_000);
const maxRedirects = z.coerce.number().int().min(0).max(20).default(3);
const allowPrivate = env.boolean(false);
const allow = env.list();

type ImageFetchVariables<Prefix extends string> = { [Key in `${Prefix}_IMAGE_FETCH_TIMEOUT_MS`]: typeof timeoutMs } & {
  [Key in `${Prefix}_IMAGE_FETCH_MAX_REDIRECTS`]: typeof maxRedirects;
} & { [Key in `${Prefix}_IMAGE_FETCH_ALLOW_PRIVATE`]: typeof allowPrivate } & { [Key in `${Prefix}_IMAGE_FETCH_ALLOW`]: typeof allow };

/**
 * The variables of an app that fetches images, for its configuration schema, so that every such
 * app names and checks them alike: `<PREFIX>_IMAGE_FETCH_TIMEOUT_MS` (10 s), `…_MAX_REDIRECTS`
 * (3), `…_ALLOW_PRIVATE` (false) and `…_ALLOW` (destinations allowed despite the address rules).
 */
export function imageFetchVariables<Prefix extends string>(prefix: Prefix): ImageFetchVariables<Prefix> {
  return {
    [`${prefix}_IMAGE_FETCH_TIMEOUT_MS`]: timeoutMs,
    [`${prefix}_IMAGE_FETCH_MAX_REDIRECTS`]: maxRedirects,
    [`${prefix}_IMAGE_FETCH_ALLOW_PRIVATE`]: allowPrivate,
    [`${prefix}_IMAGE_FETCH_ALLOW`]: allow,
  } as ImageFetchVariables<Prefix>;
}

/** The settings those variables parsed to. */
export function imageFetchSettings<Prefix extends string>(prefix: Prefix, values: z.infer<z.ZodObject<ImageFetchVariables<Prefix>>>): ImageFetchSettings {
  const parsed = values as Record<string, unknown>;
  return {
    timeoutMs: parsed[`${prefix}_IMAGE_FETCH_TIMEOUT_MS`] as number,
    maxRedirects: parsed[`${prefix}_IMAGE_FETCH_MAX_REDIRECTS`] as number,
    addressPolicy: new AddressPolicy({
      allowPrivate: parsed[`${prefix}_IMAGE_FETCH_ALLOW_PRIVATE`] as boolean,
      allow: parsed[`${prefix}_IMAGE_FETCH_ALLOW`] as string[],
    }),
  };
}
