import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { DomainStatus, DomainVerificationMethod } from './organisation-domain.entity';

registerEnumType(DomainStatus, { name: 'DomainStatus', description: 'PENDING until proven; only VERIFIED domains may auto-join' });
registerEnumType(DomainVerificationMethod, { name: 'DomainVerificationMethod', description: 'How a domain was proven' });

@ObjectType('OrganisationDomain', { description: 'A domain an organisation claims; proven by a DNS TXT record or a platform administrator' })
export class OrganisationDomainType {
  /** Owner of the domain claim, for the authorization rules (not exposed). */
  organisationId!: string;
  @Field(() => String, { description: 'Lower case, ASCII (an internationalised name in its punycode form)' }) domain!: string;
  @Field(() => DomainStatus) status!: DomainStatus;
  @Field(() => String, { description: 'Where to publish the TXT record that proves the domain' }) txtRecordName!: string;
  @Field(() => String, { description: 'The TXT record value to publish there (then call verifyDomain)' }) txtRecordValue!: string;
  @Field(() => DomainVerificationMethod, { nullable: true, description: 'null while PENDING' }) verificationMethod!: DomainVerificationMethod | null;
  @Field(() => Date, { nullable: true, description: 'null while PENDING' }) verifiedAt!: Date | null;
  @Field(() => Date) createdAt!: Date;
}
