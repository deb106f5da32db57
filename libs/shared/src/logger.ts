import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * One JSON line per entry on stdout; child loggers carry context such as the job id. Lines are
 * written in blocks of up to 4 KiB (a write per job line costs more than the job on busy workers),
 * at least every half second, and on exit.
 */
export function createLogger(app: string, level: string): Logger {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => destination.flush(), 500).unref();
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // nothing was written yet
    }
  });
  return pino({ level, base: { app }, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'msg' }, destination);
}

/** Lets NestJS write its own messages through the same JSON logger. */
export class NestJsonLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
