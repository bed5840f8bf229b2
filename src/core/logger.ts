import pino from 'pino';
import { currentRequestScope } from './context/request-scope';
import { safeError } from './observability/safe-error';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

// The level comes from LOG_LEVEL before configuration is validated (an invalid value is reported by the
// configuration check, not by a crash here); tests are silent unless asked.
const requested = process.env.LOG_LEVEL;
const level = requested && LEVELS.includes(requested) ? requested : process.env.NODE_ENV === 'test' ? 'silent' : 'info';

/** Where log lines go: stdout, unless a test redirects them ({@link redirectLogs}). */
export interface LogDestination {
  write(line: string): unknown;
}

const stdout: LogDestination = pino.destination(1);
const output = {
  target: stdout,
  write(line: string): unknown {
    return this.target.write(line);
  },
};

/**
 * The process-wide structured logger (JSON lines on stdout). Inside a request every line carries its
 * `requestId` (and `traceId` when tracing is on), read from the request scope; errors under `err` are
 * logged without SQL parameters, emails or tokens ({@link safeError}).
 */
export const logger = pino(
  {
    level,
    base: { service: 'access-subgraph' },
    redact: ['req.headers.authorization', 'token', '*.token'],
    serializers: { err: safeError },
    mixin() {
      const scope = currentRequestScope();
      if (!scope) return {};
      return scope.traceId ? { requestId: scope.requestId, traceId: scope.traceId } : { requestId: scope.requestId };
    },
  },
  output,
);

/**
 * Sends every line (of `logger` and its children) to `destination` instead of stdout, until called
 * with nothing. For tests that read what the service logs.
 */
export function redirectLogs(destination?: LogDestination): void {
  output.target = destination ?? stdout;
}
