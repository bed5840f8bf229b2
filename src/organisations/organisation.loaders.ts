import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { isId } from '../core/ids';
import { OrganisationEntity } from './organisation.entity';

/** Organisations by id, one statement per batch. */
export function createOrganisationLoaders(dataSource: DataSource) {
  return {
    organisationById: new DataLoader<string, OrganisationEntity | null>(async (ids) => {
      const rows = await dataSource.getRepository(OrganisationEntity).findBy({ id: In(ids.filter(isId)) });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    /** By slug (normalised: lower case), one statement per batch. */
    organisationBySlug: new DataLoader<string, OrganisationEntity | null>(async (slugs) => {
      const rows = await dataSource.getRepository(OrganisationEntity).findBy({ slug: In([...slugs]) });
      const bySlug = new Map(rows.map((row) => [row.slug, row]));
      return slugs.map((slug) => bySlug.get(slug) ?? null);
    }),
  };
}
