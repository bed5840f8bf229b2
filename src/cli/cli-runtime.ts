import type { DataSource } from 'typeorm';
import { resolveDatabase } from '../core/bootstrap';
import { loadConfig, type AppConfig } from '../core/config';
import { createAppServices, type AppServices } from '../core/context/app-services';
import { createDataSource, migrationsApplied } from '../core/database/data-source';
import { databaseOptions } from '../core/database/database-options';
import { loadPermissionCatalogue } from '../core/permissions/permission-catalogue';
import { OrganisationEntity } from '../organisations/organisation.entity';
import { CliFailure } from './cli-errors';
import { systemUser, SystemRequestContext } from './system-actor';

/** What a command that works on the data gets: the same services as the API, and the system actor's context. */
export interface CliRuntime {
  config: AppConfig;
  dataSource: DataSource;
  services: AppServices;
  ctx: SystemRequestContext;
}

/**
 * Opens the database the service would use (DATABASE_URL, else the embedded one under DATA_DIR), runs
 * `work` as the system actor, and closes everything. A database with pending migrations is refused
 * (the command would half-work); `migrate` applies them.
 */
export async function withRuntime<T>(command: string, work: (runtime: CliRuntime) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const catalogue = loadPermissionCatalogue(config.PERMISSIONS_FILE);
  return withDatabase(config, async (dataSource) => {
    if (!(await migrationsApplied(dataSource))) throw new CliFailure('the database has pending migrations: run the "migrate" command first');
    const services = createAppServices(config, dataSource, catalogue);
    const ctx = new SystemRequestContext(services, await systemUser(dataSource), command);
    return work({ config, dataSource, services, ctx });
  });
}

/** Runs `work` on the service's database (DATABASE_URL, else the embedded one), closing both after. */
export async function withDatabase<T>(config: AppConfig, work: (dataSource: DataSource) => Promise<T>, options: { migrating?: boolean } = {}): Promise<T> {
  const database = await resolveDatabase(config);
  // The service's database limits, except for migrations (which may run long).
  const dataSource = createDataSource(database.url, { ...databaseOptions(config), poolSize: 4, applicationName: 'access-admin-cli', ...(options.migrating ? { timeouts: null } : {}) });
  try {
    try {
      await dataSource.initialize();
    } catch (error) {
      throw new CliFailure(`cannot reach the database: ${error instanceof Error ? error.message : String(error)}`);
    }
    return await work(dataSource);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.stop();
  }
}

/** The organisation with this slug, or a failure naming it. */
export async function organisationBySlug(runtime: CliRuntime, slug: string): Promise<OrganisationEntity> {
  const organisation = await runtime.dataSource.getRepository(OrganisationEntity).findOneBy({ slug });
  if (!organisation) throw new CliFailure(`no organisation has the slug "${slug}"`);
  return organisation;
}
