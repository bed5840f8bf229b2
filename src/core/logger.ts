import pino from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

// The level comes from LOG_LEVEL before configuration is validated (an invalid value is reported by the
// configuration check, not by a crash here); tests are silent unless asked.
const requested = process.env.LOG_LEVEL;
const level = requested && LEVELS.includes(requested) ? requested : process.env.NODE_ENV === 'test' ? 'silent' : 'info';

/** The process-wide structured logger (JSON lines on stdout). */
export const logger = pino({
  level,
  base: { service: 'access-subgraph' },
  redact: ['req.headers.authorization', 'token', '*.token'],
});
