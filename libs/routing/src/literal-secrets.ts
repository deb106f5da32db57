/** Field names that would carry a credential itself rather than the name of the variable holding it. */
const SECRET_FIELD = /^(api[-_]?key|key|token|access[-_]?token|secret|password|authorization|bearer)$/i;

export const LITERAL_SECRET_MESSAGE =
  'credentials do not belong in the routing configuration; put the key in an environment variable and name that variable in apiKeyEnv';

/** Paths of every field, at any depth, whose name says it holds a credential. */
export function findLiteralSecretPaths(value: unknown, path: PropertyKey[] = []): PropertyKey[][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => findLiteralSecretPaths(item, [...path, index]));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => (SECRET_FIELD.test(key) ? [[...path, key]] : findLiteralSecretPaths(child, [...path, key])));
}
