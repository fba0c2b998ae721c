/**
 * Errors grouped by what the caller should do next (as Ponder does): retry the same call later, or stop and
 * tell the user what to fix. Messages name what failed and where.
 */
export class RetryableError extends Error {
  override readonly name: string = 'RetryableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bad input or configuration: retrying cannot help; the message says what to change. */
export class UserError extends Error {
  override readonly name: string = 'UserError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A process-level failure whose message is already fit for the user (CLI prints it without a stack). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
