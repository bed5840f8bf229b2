import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { connectionTypes } from '../core/graphql/connection';
import { OrganisationStatus } from './organisation-status';

registerEnumType(OrganisationStatus, {
  name: 'OrganisationStatus',
  description: 'Lifecycle of an organisation: members of a SUSPENDED or DELETED one are refused (FORBIDDEN, extensions.reason)',
});

@ObjectType('Organisation', { description: 'A tenant: the boundary nothing crosses' })
@Directive('@key(fields: "id")')
export class OrganisationType {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'Unique, lowercase letters, digits and hyphens' }) slug!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => OrganisationStatus, { description: 'ACTIVE, SUSPENDED, DELETED (purged after the grace period) or PURGED' })
  status!: OrganisationStatus;
  @Field(() => Date, { nullable: true, description: 'When it was suspended (while SUSPENDED)' }) suspendedAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'When it was deleted (DELETED or PURGED); its contents are purged ORGANISATION_PURGE_DAYS later' })
  deletedAt!: Date | null;
  @Field(() => [String], { nullable: true, description: 'The permissions roles here may grant at all; null means every permission' })
  permissionBoundary!: string[] | null;
}

@ObjectType('MfaPolicy', {
  description: 'Who needs a second factor (the token\'s amr) for their permissions here, and until when members without one keep access anyway',
})
export class MfaPolicyType {
  /** Owner, for the rules (not exposed). */
  organisationId!: string;
  @Field(() => [ID], { description: 'Roles whose permissions (held directly or through a team) are withheld from requests without a second factor' })
  requiredForRoleIds!: string[];
  @Field(() => Boolean, { description: 'Every permission needs a second factor (the same setting as requireMfa)' }) requiredForAll!: boolean;
  @Field(() => Date, {
    nullable: true,
    description: 'Until then nothing is withheld and covered members without a second factor see Membership.mfaEnrolmentDue; null: enforced without grace',
  })
  graceUntil!: Date | null;
}

@ObjectType('OrganisationSettings')
export class OrganisationSettingsType {
  /** Owner of these settings, for the authorization rules (not exposed). */
  organisationId!: string;
  @Field(() => Int, { description: 'Days an invitation stays valid (1–30)' }) invitationExpiryDays!: number;
  @Field(() => Boolean, { description: 'Members need a second factor in their token to act here (mfaPolicy.requiredForAll)' }) requireMfa!: boolean;
  @Field(() => MfaPolicyType, { description: 'MFA per role, or for everyone, with a grace period' }) mfaPolicy!: MfaPolicyType;
  @Field(() => Int, { description: 'The longest elevation a member may request (requestElevation), in hours (1–720)' }) maxElevationHours!: number;
  @Field(() => Boolean, { description: 'People who join by domain or invitation wait for approval' }) requireApproval!: boolean;
  @Field(() => [String], { description: 'Invitations only to these email domains (empty: any)' }) allowedEmailDomains!: string[];
  @Field(() => [String], { description: 'Verified emails of these domains join on first sign-in; only domains this organisation verified (see Organisation.domains)' }) autoJoinDomains!: string[];
}

export const { ConnectionType: OrganisationConnection } = connectionTypes(OrganisationType, 'Organisation');
