import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { redactForLog, redactText } from './log-redaction';

export type { Logger };

/**
 * One JSON line per entry on stdout; child loggers carry context such as the job id. Lines are
 * written in blocks of up to 4 KiB (a write per job line costs more than the job on busy workers),
 * at least every half second, and on exit. Every line is redacted (see log-redaction.ts): no
 * authorization header, key or secret, and no job input beyond a short, base64-free excerpt.
 */
export function createLogger(app: string, level: string, to?: DestinationStream): Logger {
  if (to) return pino(loggerOptions(app, level), to);
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => destination.flush(), 500).unref();
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // nothing was written yet
    }
  });
  return pino(loggerOptions(app, level), destination);
}

function loggerOptions(app: string, level: string): pino.LoggerOptions {
  return {
    level,
    base: { app },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    formatters: { log: (object) => redactForLog(object) as Record<string, unknown> },
    serializers: { err: (error: unknown) => redactForLog(pino.stdSerializers.err(error as Error)) },
    hooks: {
      // Messages are text written by us, but may quote what a client sent.
      logMethod(args, method) {
        const index = typeof args[0] === 'string' ? 0 : 1;
        if (typeof args[index] === 'string') args[index] = redactText(args[index] as string, 4 * 1024);
        return method.apply(this, args as Parameters<typeof method>);
      },
    },
  };
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
