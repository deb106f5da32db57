import { HubApiError, downloadFile, fileDownloadInfo, modelInfo } from '@huggingface/hub';
import type { DeployableTask } from '../tasks/deployment-task';
import { HubUnavailableError, ModelAccessDeniedError, ModelGatedError, ModelNotFoundError } from './hub-errors';
import { assertValidModelId } from './model-id';
import { chooseTask, inferModelTask, requireDeployableTask, type TaskEvidence } from './model-task';

export const DEFAULT_HUB_URL = 'https://huggingface.co';
const DEFAULT_TIMEOUT_MS = 10_000;

export interface ValidateHubModelOptions {
  /** The request's `hf_model_id`. */
  modelId: string;
  /** The request's `hf_token`, for gated and private models. */
  hfToken?: string;
  /** The request's `task`; the model's own when left out. */
  task?: string;
  hubUrl?: string;
  fetch?: typeof fetch;
  /** Per request to the Hub; 10 seconds unless given. */
  timeoutMs?: number;
}

export interface ValidatedModel {
  /** The id as the Hub spells it. */
  modelId: string;
  /** The commit the Hub serves now. */
  sha?: string;
  task: DeployableTask;
  /** Where `task` was read from; `request` when the model says nothing and the request named it. */
  taskSource: TaskEvidence | 'request';
  pipelineTag?: string;
  library?: string;
  gated: false | 'auto' | 'manual';
  private: boolean;
  /** Parameter counts by dtype from the Hub's safetensors metadata. */
  safetensorsParameters?: Record<string, number>;
  parameterCount?: number;
}

/** Files whose download proves read access, most telling first; any file will do. */
const ACCESS_PROBE_FILES = ['model_index.json', 'config.json', 'README.md'];

/**
 * Checks that a deployment request's model exists on the Hub, that its token may read it, and that
 * Switchyard serves its task; answers what the Hub says about it. Throws a DeploymentRequestError
 * naming the field at fault, or HubUnavailableError when the Hub could not be asked.
 */
export async function validateHubModel(options: ValidateHubModelOptions): Promise<ValidatedModel> {
  const modelId = assertValidModelId(options.modelId);
  const token = options.hfToken || undefined;
  if (token !== undefined && !token.startsWith('hf_')) {
    throw new ModelAccessDeniedError(modelId, 'it is not a Hugging Face access token (those start with "hf_")');
  }
  const requested = options.task === undefined ? undefined : requireDeployableTask(options.task);
  const hub = new HubConversation(modelId, token, (options.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, ''), options);

  const info = await hub.ask(({ fetch, hubUrl, accessToken }) =>
    modelInfo({ name: modelId, hubUrl, accessToken, fetch, additionalFields: ['safetensors', 'library_name', 'sha', 'filePaths'] }),
  );
  const files = new Set(info.filePaths ?? []);
  if (info.gated) {
    if (token === undefined) throw new ModelGatedError(modelId, hub.pageUrl, false);
    // The Hub shows a gated model's metadata to anyone; only a download says whether the token was granted access.
    const probe = ACCESS_PROBE_FILES.find((file) => files.has(file)) ?? [...files][0];
    if (probe !== undefined) await hub.ask((params) => fileDownloadInfo({ ...params, repo: modelId, path: probe }), { gated: true });
  }

  const pipelineTag = info.task || undefined;
  const library = info.library_name || undefined;
  const diffusersPipeline = !pipelineTag && files.has('model_index.json') ? await hub.diffusersPipeline() : undefined;
  const modelTask = inferModelTask({ pipelineTag, diffusersPipeline, library });
  const task = chooseTask(modelId, modelTask, requested);

  return {
    modelId: info.name,
    sha: info.sha,
    task,
    taskSource: modelTask?.evidence ?? 'request',
    pipelineTag,
    library,
    gated: info.gated,
    private: info.private,
    safetensorsParameters: info.safetensors?.parameters,
    parameterCount: info.safetensors?.total,
  };
}

interface HubParams {
  hubUrl: string;
  accessToken?: string;
  fetch: typeof fetch;
}

/** The requests of one validation, each with a timeout, and their failures as the request's errors. */
class HubConversation {
  readonly pageUrl: string;
  /** The Hub's `X-Error-Code` on the last failed answer: @huggingface/hub's errors leave the headers out. */
  private lastErrorCode?: string;
  private readonly params: HubParams;

  constructor(
    private readonly modelId: string,
    private readonly token: string | undefined,
    hubUrl: string,
    options: ValidateHubModelOptions,
  ) {
    this.pageUrl = `${hubUrl}/${modelId}`;
    const baseFetch = options.fetch ?? fetch;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timedFetch: typeof fetch = async (input, init) => {
      const timeout = AbortSignal.timeout(timeoutMs);
      const response = await baseFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
      this.lastErrorCode = response.ok ? undefined : (response.headers.get('X-Error-Code') ?? undefined);
      return response;
    };
    this.params = { hubUrl, accessToken: token, fetch: timedFetch };
  }

  /** `gated`: the model is known to be gated, so a 403 means the token was not granted access. */
  async ask<T>(request: (params: HubParams) => Promise<T>, { gated = false } = {}): Promise<T> {
    try {
      return await request(this.params);
    } catch (error) {
      throw this.asRequestError(error, gated);
    }
  }

  /** The `_class_name` of the model's model_index.json; undefined when the file says none. */
  async diffusersPipeline(): Promise<string | undefined> {
    const blob = await this.ask((params) => downloadFile({ ...params, repo: this.modelId, path: 'model_index.json', xet: false }));
    const text = blob ? await this.ask(() => blob.text()) : undefined;
    try {
      const className = (JSON.parse(text ?? '') as { _class_name?: unknown })._class_name;
      return typeof className === 'string' ? className : undefined;
    } catch {
      return undefined;
    }
  }

  private asRequestError(error: unknown, gated: boolean): Error {
    const withToken = this.token !== undefined;
    if (!(error instanceof HubApiError)) return new HubUnavailableError(this.modelId, this.withoutToken(describe(error)), { cause: error });
    const { statusCode } = error;
    if (this.lastErrorCode === 'GatedRepo' || (statusCode === 403 && gated)) return new ModelGatedError(this.modelId, this.pageUrl, withToken);
    // Without a token the Hub answers 401 for a model that does not exist as for a private one.
    if (statusCode === 401 && (!withToken || this.lastErrorCode === 'RepoNotFound')) return new ModelNotFoundError(this.modelId, withToken, true);
    if (statusCode === 401) return new ModelAccessDeniedError(this.modelId, 'the Hub refused it (invalid, expired or revoked)');
    if (statusCode === 403)
      return new ModelAccessDeniedError(this.modelId, 'the Hub does not let it read this model (a fine-grained token without access to it?)');
    if (statusCode === 404) return new ModelNotFoundError(this.modelId, withToken, withToken);
    const reason = statusCode === 429 || statusCode >= 500 ? `it answered ${statusCode}` : `unexpected answer ${statusCode}`;
    return new HubUnavailableError(this.modelId, this.withoutToken(`${reason} (${error.message})`), { cause: error });
  }

  private withoutToken(text: string): string {
    return this.token === undefined ? text : text.replaceAll(this.token, '<hf_token>');
  }
}

function describe(error: unknown): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return 'it did not answer in time';
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
