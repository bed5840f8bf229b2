import { loadEnvironmentFile } from './config';

// Entry points (the service, the CLI) import this first: `.env` must be read before any module reads
// process.env as it loads (the logger takes LOG_LEVEL then).
loadEnvironmentFile();
