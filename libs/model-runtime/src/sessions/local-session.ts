import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { inferenceSessionOptions, type ModelSessionsOptions } from './session-options';

/** Which execution providers ran a model's nodes, as onnxruntime's profiler recorded one run. */
export interface ProviderUsage {
  /** The provider that spent most of the run's kernel time, named as configured (`cpu`, `cuda`). */
  provider: string;
  /** Nodes run by each provider. */
  nodes: Record<string, number>;
}

/** What ModelSession runs: an InferenceSession on this thread, or one in each thread of an InferencePool. */
export interface SessionBackend {
  readonly inputMetadata: readonly InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly InferenceSession.ValueMetadata[];
  /** Known after the first run. */
  readonly providerUsage: ProviderUsage | undefined;
  run(feeds: InferenceSession.FeedsType, options?: InferenceSession.RunOptions, control?: RunControl): Promise<InferenceSession.ReturnType>;
  release(): Promise<void>;
}

export interface RunControl {
  /**
   * Fails the run at once when it fires, whatever the model is doing: in an inference thread, the
   * thread is retired (its other runs fail too) and a fresh one takes the next runs; the native run
   * itself goes on until it returns, as onnxruntime cannot stop one from outside. A run on the event
   * loop cannot be cut off: it is synchronous, so the signal can only fire once it is over.
   */
  cutOff?: AbortSignal;
}

interface ProfileEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { provider?: string };
}

/** `CUDAExecutionProvider` → `cuda`, `CPUExecutionProvider` → `cpu`, as they are configured. */
const configuredName = (profiled: string) => profiled.replace(/ExecutionProvider$/, '').toLowerCase();

/** Tallies the kernels of a profile by provider; undefined when it holds none. */
export function providerUsageOf(events: readonly ProfileEvent[]): ProviderUsage | undefined {
  const nodes: Record<string, number> = {};
  const time = new Map<string, number>();
  for (const event of events) {
    const provider = event.args?.provider;
    if (event.cat !== 'Node' || !provider || !event.name?.endsWith('_kernel_time')) continue;
    const name = configuredName(provider);
    nodes[name] = (nodes[name] ?? 0) + 1;
    time.set(name, (time.get(name) ?? 0) + (event.dur ?? 0));
  }
  const [busiest] = [...time].sort((a, b) => b[1] - a[1]);
  return busiest && { provider: busiest[0], nodes };
}

/**
 * An InferenceSession on the calling thread. onnxruntime-node does not say which provider a
 * session resolved to, and a provider that was appended still leaves the nodes it cannot run to
 * the next one; so the session's first run is profiled, and the profile's kernels, each tagged
 * with the provider that ran it, tell which providers did the work. Profiling stops after that run.
 */
export class LocalSession implements SessionBackend {
  providerUsage: ProviderUsage | undefined;

  private constructor(
    private readonly session: InferenceSession,
    private profileDir: string | undefined,
  ) {}

  /**
   * Throws onnxruntime's own error when the session cannot be created. Without `observeProviders`
   * the first run is not profiled and providerUsage stays unknown: a session created with profiling
   * logs an error line when it is released ("Could not write a profile because no model was loaded",
   * onnxruntime's destructor ending a profile that already ended), so only one session per model does.
   */
  static async create(path: string, options: ModelSessionsOptions, { observeProviders = true } = {}): Promise<LocalSession> {
    if (!observeProviders) return new LocalSession(await InferenceSession.create(path, inferenceSessionOptions(options)), undefined);
    const profileDir = await mkdtemp(join(tmpdir(), 'switchyard-ort-profile-'));
    try {
      const session = await InferenceSession.create(path, {
        ...inferenceSessionOptions(options),
        enableProfiling: true,
        profileFilePrefix: join(profileDir, 'first-run'),
      });
      return new LocalSession(session, profileDir);
    } catch (error) {
      await rm(profileDir, { recursive: true, force: true });
      throw error;
    }
  }

  get inputMetadata(): readonly InferenceSession.ValueMetadata[] {
    return this.session.inputMetadata;
  }

  get outputMetadata(): readonly InferenceSession.ValueMetadata[] {
    return this.session.outputMetadata;
  }

  async run(feeds: InferenceSession.FeedsType, options?: InferenceSession.RunOptions): Promise<InferenceSession.ReturnType> {
    const outputs = await this.session.run(feeds, options);
    const profileDir = this.profileDir;
    if (profileDir !== undefined) {
      this.profileDir = undefined;
      this.providerUsage = await this.readProfile(profileDir);
    }
    return outputs;
  }

  async release(): Promise<void> {
    const profileDir = this.profileDir;
    this.profileDir = undefined;
    if (profileDir !== undefined) await rm(profileDir, { recursive: true, force: true });
    await this.session.release();
  }

  /** An unreadable profile leaves the usage unknown; it never fails the run. */
  private async readProfile(profileDir: string): Promise<ProviderUsage | undefined> {
    try {
      // Synchronous: the profile file is written when it returns.
      this.session.endProfiling();
      const [file] = (await readdir(profileDir)).filter((name) => name.endsWith('.json'));
      if (file === undefined) return undefined;
      return providerUsageOf(JSON.parse(await readFile(join(profileDir, file), 'utf8')) as ProfileEvent[]);
    } catch {
      return undefined;
    } finally {
      await rm(profileDir, { recursive: true, force: true });
    }
  }
}
