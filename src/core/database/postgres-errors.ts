import { QueryFailedError } from 'typeorm';

/** The constraint name when `error` is a unique violation, else null. */
export function uniqueViolation(error: unknown): string | null {
  if (!(error instanceof QueryFailedError)) return null;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === '23505' ? (driverError.constraint ?? '') : null;
}

/** True when `error` is a serialization failure or deadlock worth retrying. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: string }).code;
  return code === '40001' || code === '40P01';
}
