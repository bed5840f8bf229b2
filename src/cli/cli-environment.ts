import { loadEnvironmentFile } from '../core/config';

// Imported first by the CLI's entry points. The service's logs go to stdout, which holds the command's
// result (a token, a report): only errors are logged unless LOG_LEVEL is set in the environment itself.
process.env.LOG_LEVEL ??= 'error';
loadEnvironmentFile();
