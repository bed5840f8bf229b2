import { loadEnvironmentFile } from '../core/config';

// Imported first by the CLI's entry points. The CLI's output is for people (and stdout for the command's
// result), so the service's info logs stay off unless LOG_LEVEL is set in the environment itself.
process.env.LOG_LEVEL ??= 'warn';
loadEnvironmentFile();
