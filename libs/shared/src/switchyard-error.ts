/**
 * The base of Switchyard's own errors. `name` is the class's own; `code` is a stable kind in
 * snake_case (the class name without `Error` unless given), for callers and logs to match on
 * instead of the message.
 */
export abstract class SwitchyardError extends Error {
  readonly code: string;

  protected constructor(message: string, options?: ErrorOptions & { code?: string }) {
    super(message, options);
    this.name = new.target.name;
    this.code =
      options?.code ??
      new.target.name
        .replace(/Error$/, '')
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .toLowerCase();
  }
}
