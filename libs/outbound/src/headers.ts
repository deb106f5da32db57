/** Received headers as Node gives them (IncomingHttpHeaders) or as a plain record. */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The first value of a header, found whatever the case of its name. */
export function headerValue(headers: IncomingHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === wanted)?.[1];
  return typeof entry === 'string' ? entry : entry?.[0];
}
