import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { databaseFailure } from './database/postgres-errors';
import { logger } from './logger';

/** The error codes clients may rely on (DESIGN.md §6). */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  CONFLICT = 'CONFLICT',
  MFA_REQUIRED = 'MFA_REQUIRED',
  /** A dependency (the database, the identity provider) is down or too slow: retry later. */
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

const DEFAULT_MESSAGES: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'Authentication required',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Not found',
  BAD_USER_INPUT: 'Invalid input',
  CONFLICT: 'Conflict',
  MFA_REQUIRED: 'This organisation requires multi-factor authentication',
  SERVICE_UNAVAILABLE: 'Service temporarily unavailable; retry later',
  INTERNAL_SERVER_ERROR: 'Internal server error',
};

/** The one error type services throw; its code becomes `extensions.code`. */
export class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string = DEFAULT_MESSAGES[code],
    details?: Record<string, unknown>,
  ) {
    super(message, { extensions: { code, ...details } });
  }
}

export const unauthenticated = () => new AppError(ErrorCode.UNAUTHENTICATED);
export const forbidden = (message?: string) => new AppError(ErrorCode.FORBIDDEN, message);
export const notFound = (what = 'Object') => new AppError(ErrorCode.NOT_FOUND, `${what} not found`);
export const badInput = (message: string, details?: Record<string, unknown>) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, details);
export const conflict = (message: string, details?: Record<string, unknown>) => new AppError(ErrorCode.CONFLICT, message, details);

const REFUSAL_MESSAGES: Record<'ORGANISATION_SUSPENDED' | 'ORGANISATION_DELETED', string> = {
  ORGANISATION_SUSPENDED: 'This organisation is suspended: nothing can be read or changed in it until a platform administrator reactivates it',
  ORGANISATION_DELETED: 'This organisation is deleted: nothing can be read or changed in it',
};

/** FORBIDDEN for an active member of a suspended or deleted organisation, with `extensions.reason`. */
export const organisationRefused = (reason: 'ORGANISATION_SUSPENDED' | 'ORGANISATION_DELETED') =>
  new AppError(ErrorCode.FORBIDDEN, REFUSAL_MESSAGES[reason], { reason });

/** `extensions.reason` of a SERVICE_UNAVAILABLE error: which dependency failed, or that time ran out. */
export enum UnavailableReason {
  /** PostgreSQL refused, reset, shut down, is out of connections or does not answer. */
  DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE',
  /** The request ran past REQUEST_TIMEOUT_MS, or a statement or lock wait past its limit; nothing was written. */
  TIMEOUT = 'TIMEOUT',
  /** The identity provider's key set cannot be fetched and no usable copy is cached. */
  IDENTITY_PROVIDER_UNAVAILABLE = 'IDENTITY_PROVIDER_UNAVAILABLE',
}

const UNAVAILABLE_MESSAGES: Record<UnavailableReason, string> = {
  DATABASE_UNAVAILABLE: 'The database is unavailable; retry later',
  TIMEOUT: 'The request took too long and was abandoned; retry later',
  IDENTITY_PROVIDER_UNAVAILABLE: "The identity provider's signing keys are unavailable; retry later",
};

/**
 * SERVICE_UNAVAILABLE with its reason. `http: 503` only where Apollo answers before execution (context
 * creation): during execution the status is decided per response (see the availability plugin), since a
 * field's error must not turn a partial result into a 503.
 */
export function serviceUnavailable(reason: UnavailableReason, options: { http?: boolean } = {}): AppError {
  return new AppError(ErrorCode.SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGES[reason], { reason, ...(options.http ? { http: { status: 503 } } : {}) });
}

/** SERVICE_UNAVAILABLE for an error that says the database is down or too slow; undefined for any other error. */
export function unavailableFromDatabase(error: unknown, options: { http?: boolean } = {}): AppError | undefined {
  const failure = databaseFailure(error);
  if (!failure) return undefined;
  return serviceUnavailable(failure === 'TIMEOUT' ? UnavailableReason.TIMEOUT : UnavailableReason.DATABASE_UNAVAILABLE, options);
}

const PASS_THROUGH = new Set<string>([
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.INTERNAL_SERVER_ERROR),
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Apollo `formatError`: known codes pass, everything else is masked and logged with the request id.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && PASS_THROUGH.has(code)) {
    const { stacktrace: _ignored, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, message: readableMessage(formatted.message, extensions), extensions };
  }
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  // A read outside any transaction (a loader, a rule) that met a database outage: retryable, not a bug.
  const unavailable = unavailableFromDatabase(original);
  if (unavailable) {
    logger.warn({ err: original, path: formatted.path }, 'database unavailable');
    return { message: unavailable.message, path: formatted.path, locations: formatted.locations, extensions: unavailable.extensions };
  }
  logger.error({ err: original, path: formatted.path }, 'unexpected error');
  return {
    message: DEFAULT_MESSAGES.INTERNAL_SERVER_ERROR,
    path: formatted.path,
    locations: formatted.locations,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}

/** What class-validator reports per property (type-graphql puts these in `extensions.validationErrors`). */
interface ValidationFailure {
  property?: string;
  constraints?: Record<string, string>;
  children?: ValidationFailure[];
}

function validationReasons(failures: readonly ValidationFailure[], prefix: string): string[] {
  return failures.flatMap((failure) => {
    const property = String(failure.property ?? '');
    const path = prefix && property ? `${prefix}.${property}` : prefix || property;
    const own = Object.values(failure.constraints ?? {}).map((reason) =>
      // class-validator starts its messages with the property's name: name it by its whole path instead.
      property && reason.startsWith(`${property} `) ? `${path}${reason.slice(property.length)}` : path ? `${path}: ${reason}` : reason,
    );
    return [...own, ...validationReasons(failure.children ?? [], path)];
  });
}

/**
 * type-graphql answers an invalid argument with the message "Argument Validation Error" and the reasons
 * in `extensions.validationErrors`: the reasons go into the message itself ("Invalid input: name must be
 * shorter than or equal to 100 characters"), which is what clients show; the extension stays.
 */
export function readableMessage(message: string, extensions: Record<string, unknown>): string {
  const failures = extensions.validationErrors;
  if (extensions.code !== ErrorCode.BAD_USER_INPUT || !Array.isArray(failures)) return message;
  const reasons = validationReasons(failures as ValidationFailure[], '');
  if (reasons.length === 0) return message;
  return `${DEFAULT_MESSAGES.BAD_USER_INPUT}: ${reasons.join('; ')}`;
}
