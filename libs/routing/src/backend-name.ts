/** Where a model's inference can run: the platform's own queue, a RunPod-compatible remote endpoint, or the caller's browser. */
export const BACKEND_NAMES = ['local', 'remote', 'client'] as const;

export type BackendName = (typeof BACKEND_NAMES)[number];

/** The seed called the remote backend `modal`; configurations and requests written for it keep working. */
const BACKEND_ALIASES: Readonly<Record<string, BackendName>> = { modal: 'remote' };

/** The backend a name (or alias) stands for, or `undefined` when it names none. */
export function normaliseBackendName(name: string): BackendName | undefined {
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  return BACKEND_ALIASES[name];
}
