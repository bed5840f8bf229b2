import 'reflect-metadata';
import { createDataSource } from './src/core/database/data-source';

/**
 * The TypeORM data source shared by the TypeORM CLI and the app (same entities, migrations, logger).
 * The CLI needs DATABASE_URL; `npm run migrate` also works on the embedded database.
 */
export default createDataSource(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', { timeouts: null });
