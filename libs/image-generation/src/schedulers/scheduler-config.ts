import { UnsupportedSchedulerError } from './unsupported-scheduler-error';

/** Reads one scheduler's options from scheduler_config.json; absent or null keys take diffusers' constructor defaults. */
export class SchedulerConfig {
  constructor(
    readonly scheduler: string,
    private readonly values: Readonly<Record<string, unknown>>,
  ) {}

  has(key: string): boolean {
    return this.values[key] !== undefined && this.values[key] !== null;
  }

  number(key: string, fallback: number): number {
    const value = this.raw(key, fallback);
    if (typeof value !== 'number' || Number.isNaN(value)) throw this.unsupported(key, value, ['a number']);
    return value;
  }

  optionalNumber(key: string): number | undefined {
    return this.has(key) ? this.number(key, 0) : undefined;
  }

  integer(key: string, fallback: number, allowed?: readonly number[]): number {
    const value = this.raw(key, fallback);
    if (!Number.isInteger(value) || (allowed && !allowed.includes(value as number)))
      throw this.unsupported(key, value, allowed ? allowed.map(String) : ['an integer']);
    return value as number;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw(key, fallback);
    if (typeof value !== 'boolean') throw this.unsupported(key, value, ['true', 'false']);
    return value;
  }

  /** A string option; `aliases` are values diffusers itself rewrites to a supported one. */
  choice<T extends string>(key: string, fallback: T, allowed: readonly T[], aliases: Readonly<Record<string, T>> = {}): T {
    const value = this.raw(key, fallback);
    if (typeof value === 'string' && value in aliases) return aliases[value];
    if (typeof value !== 'string' || !allowed.includes(value as T)) throw this.unsupported(key, value, allowed);
    return value as T;
  }

  /** An option this implementation only runs at its default (false). */
  requireFalse(key: string): void {
    if (this.boolean(key, false)) throw this.unsupported(key, true, ['false']);
  }

  numberArray(key: string): number[] | undefined {
    if (!this.has(key)) return undefined;
    const value = this.values[key];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'number')) throw this.unsupported(key, value, ['an array of numbers']);
    return value as number[];
  }

  unsupported(key: string, value: unknown, supported: readonly string[]): UnsupportedSchedulerError {
    return new UnsupportedSchedulerError(this.scheduler, key, value, supported);
  }

  private raw(key: string, fallback: unknown): unknown {
    return this.has(key) ? this.values[key] : fallback;
  }
}
