import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { isId } from '../core/ids';
import { OrganisationDomainEntity } from './organisation-domain.entity';
import type { OrganisationDomainType } from './organisation-domain.type';
import { domainView } from './organisation-domain.view';

/** Each organisation's domain claims, by domain name; one statement per batch of organisations. */
export function createDomainLoaders(dataSource: DataSource) {
  return {
    domainsByOrganisationId: new DataLoader<string, OrganisationDomainType[]>(async (organisationIds) => {
      const rows = await dataSource.getRepository(OrganisationDomainEntity).find({
        where: { organisationId: In(organisationIds.filter(isId)) },
        order: { domain: 'ASC' },
      });
      const byOrganisation = new Map<string, OrganisationDomainType[]>();
      for (const row of rows) {
        const list = byOrganisation.get(row.organisationId);
        if (list) list.push(domainView(row));
        else byOrganisation.set(row.organisationId, [domainView(row)]);
      }
      return organisationIds.map((id) => byOrganisation.get(id) ?? []);
    }),
  };
}
