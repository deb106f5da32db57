import type { Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { untilAborted, type Logger, type QueueContract } from '@switchyard/shared';
import { assertStorable, JobContext, type JobReporter } from './job-context';
import { ExecutionTimeoutError, HandlerReportedError, JobCancelledError } from './job-errors';

export type JobHandler = (input: unknown, context: JobContext) => Promise<unknown>;

/** A queue's `@MessagePattern(queue)` handler on a transport, as a JobHandler; fails start-up when there is none. */
export function messagePatternHandler(server: Server, queue: string): JobHandler {
  const handler = server.getHandlerByPattern(queue);
  if (!handler) throw new Error(`No @MessagePattern('${queue}') handler is registered, but this worker is configured to serve it`);
  return async (input, context) => lastValueFrom(server.transformToObservable(await handler(input, context)));
}

export interface HandlerRunRequest {
  jobId: string;
  endpointId: string;
  /** The job's input as submitted; the contract parses it. */
  input: unknown;
  /** Aborts the run with an ExecutionTimeoutError after this long; undefined: no limit. */
  executionTimeoutMs?: number;
  /** Aborts the run with a JobCancelledError. */
  cancelSignal?: AbortSignal;
  reporter: JobReporter;
  logger: Logger;
}

export type HandlerRunResult =
  | { completed: true; output: unknown }
  | {
      completed: false;
      error: unknown;
      /** Whether the run was cancelled or timed out (the handler may still be running). */
      aborted: boolean;
      /** Waits for an aborted handler to stop (see HandlerExecution); at once otherwise. */
      untilHandlerStops(): Promise<void>;
    };

const settled = (work: Promise<unknown>) =>
  work.then(
    () => true,
    () => true,
  );
const within = (done: Promise<boolean>, ms: number) => Promise.race([done, new Promise<false>((resolve) => setTimeout(resolve, ms, false).unref())]);

/**
 * One queue's handler run on a job, whatever the transport: the input parsed with the queue's
 * contract, the handler given a JobContext whose signal aborts on cancel or execution timeout,
 * `{error: …}` answers turned into failures (RunPod's convention) and the output checked against
 * the contract. How the outcome is recorded is the transport's business.
 */
export class HandlerExecution {
  constructor(
    private readonly contract: QueueContract,
    private readonly handler: JobHandler,
    /** How long an aborted handler may take to stop before its model runs are cut off. */
    private readonly abortGraceMs: number,
  ) {}

  async run(request: HandlerRunRequest): Promise<HandlerRunResult> {
    const { executionTimeoutMs, cancelSignal, logger } = request;
    const controller = new AbortController();
    const timer =
      executionTimeoutMs === undefined ? undefined : setTimeout(() => controller.abort(new ExecutionTimeoutError(executionTimeoutMs)), executionTimeoutMs);
    const onCancel = () => controller.abort(new JobCancelledError());
    cancelSignal?.addEventListener('abort', onCancel, { once: true });
    const cutOff = new AbortController();
    let handling: Promise<unknown> | undefined;
    let context: JobContext | undefined;
    try {
      const input = this.contract.input.parse(request.input);
      context = new JobContext(request.jobId, request.endpointId, controller.signal, logger, request.reporter, cutOff.signal);
      handling = this.handler(input, context);
      const output = await untilAborted(handling, controller.signal);
      return { completed: true, output: checkedOutput(this.contract, output) };
    } catch (error) {
      const aborted = controller.signal.aborted;
      const abandoned = aborted ? handling : undefined;
      return { completed: false, error, aborted, untilHandlerStops: () => (abandoned ? this.untilHandlerStops(abandoned, cutOff, logger) : Promise.resolve()) };
    } finally {
      context?.close();
      clearTimeout(timer);
      cancelSignal?.removeEventListener('abort', onCancel);
    }
  }

  /**
   * Waits for an aborted handler to stop: a grace period to stop by itself, then its model runs
   * are cut off and it gets another grace period. One that still runs is left behind (logged), as
   * nothing more can stop it in this process.
   */
  private async untilHandlerStops(handling: Promise<unknown>, cutOff: AbortController, logger: Logger): Promise<void> {
    const stopped = settled(handling);
    if (await within(stopped, this.abortGraceMs)) return;
    logger.error({ graceMs: this.abortGraceMs }, 'handler ignored its abort signal past the grace period; cutting off its model runs');
    cutOff.abort();
    if (await within(stopped, this.abortGraceMs)) return;
    logger.error({ graceMs: this.abortGraceMs }, 'handler still runs after its model runs were cut off; taking the next job');
  }
}

/**
 * A handler's answer as the job's output: `{error: …}` answers are failures (RunPod's convention,
 * thrown as HandlerReportedError), and the output must match the queue's contract and be storable.
 * Whichever transport ran the handler, its output goes through here.
 */
export function checkedOutput(contract: QueueContract, output: unknown): unknown {
  if (isReportedError(output)) throw new HandlerReportedError(Object.keys(output).length === 1 ? output.error : output);
  const validOutput = contract.output.parse(output);
  assertStorable(validOutput, 'output');
  return validOutput;
}

function isReportedError(output: unknown): output is { error: unknown } {
  return typeof output === 'object' && output !== null && !Array.isArray(output) && 'error' in output;
}
