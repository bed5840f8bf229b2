import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MembershipType } from '../memberships/membership.type';
import type { RoleEntity } from '../roles/role.entity';
import { RoleType } from '../roles/role.type';
import type { TeamEntity } from '../teams/team.entity';
import { TeamType } from '../teams/team.type';
import type { MembershipEntity } from '../memberships/membership.entity';
import { AccessDenialReason } from './access-explainer';

registerEnumType(AccessDenialReason, {
  name: 'AccessDenialReason',
  description: 'Why a member does not hold a permission',
  valuesConfig: {
    NOT_A_MEMBER: { description: 'The user has no membership in the organisation' },
    PENDING_APPROVAL: { description: 'The membership waits for approval' },
    DEACTIVATED: { description: 'The membership is deactivated' },
    NOT_HELD: { description: 'No role of the member, direct or through a team, grants or implies it' },
    OUTSIDE_BOUNDARY: { description: "Roles grant it, but the organisation's permission boundary cuts it" },
  },
});

/** The most entries each access-review list (and a role-change preview) returns; `counts` tell the full sizes. */
export const ACCESS_REVIEW_LIST_LIMIT = 500;

@ObjectType('AccessReview', { description: `access:review. Each list holds at most ${ACCESS_REVIEW_LIST_LIMIT} entries; \`counts\` has the full sizes` })
export class AccessReviewType {
  /** Owner, for the rules (not exposed). */
  organisationId!: string;
  @Field(() => Int, { description: 'Members not signed in for this many days (or never) are inactive' }) inactiveDays!: number;
}

@ObjectType('AccessReviewCounts', { description: 'Full sizes of the access review lists (which are capped)' })
export class AccessReviewCountsType {
  organisationId!: string;
  @Field(() => Int) privilegedMembers!: number;
  @Field(() => Int) inactiveMembers!: number;
  @Field(() => Int) pendingApprovals!: number;
  @Field(() => Int, { description: 'Needs invitations:read too' }) expiredInvitations!: number;
}

@ObjectType('AccessPath', { description: 'One way a member holds a permission' })
export class AccessPathType {
  organisationId!: string;
  @Field(() => RoleType) role!: RoleEntity;
  @Field(() => TeamType, { nullable: true, description: 'The team granting the role; null for a direct assignment' }) team!: TeamEntity | null;
  @Field(() => String, { nullable: true, description: 'The permission the role lists that implies this one; null when the role lists it' })
  impliedBy!: string | null;
  @Field(() => Boolean, {
    description: "The organisation's MFA policy covers this path's role and its grace period is over: the path holds only in requests whose token shows a second factor",
  })
  withheldByMfa!: boolean;
  @Field(() => Date, { nullable: true, description: 'When this path ends: the direct grant\'s or the team place\'s expiry (time-bound access); null: permanent' })
  expiresAt!: Date | null;
}

@ObjectType('ExpiringGrant', { description: 'A time-bound grant still in force: a direct role (role) or a team place (team)' })
export class ExpiringGrantType {
  organisationId!: string;
  membershipId!: string;
  roleId!: string | null;
  teamId!: string | null;
  @Field(() => Date) expiresAt!: Date;
}

@ObjectType('AccessExplanation', { description: 'Why a member holds, or does not hold, a permission organisation-wide' })
export class AccessExplanationType {
  organisationId!: string;
  @Field(() => String) permission!: string;
  @Field(() => Boolean, { description: 'Agrees with Membership.effectivePermissions' }) granted!: boolean;
  @Field(() => AccessDenialReason, { nullable: true, description: 'Why not granted; null when granted' }) reason!: AccessDenialReason | null;
  @Field(() => Boolean, {
    description: "The MFA policy (grace period over) withholds the permission from requests without a second factor: MFA is required for everyone, or every path's role is covered",
  })
  mfaRequired!: boolean;
  @Field(() => [AccessPathType], { description: 'Every route through direct roles, team-granted roles and implication, shown even when status or boundary keep it from taking effect' })
  paths!: AccessPathType[];
}

@ObjectType('RoleChangeEffect', { description: "How one member's effective permissions would change" })
export class RoleChangeEffectType {
  organisationId!: string;
  @Field(() => MembershipType) membership!: MembershipEntity;
  @Field(() => [String]) gained!: string[];
  @Field(() => [String]) lost!: string[];
}

@ObjectType('RoleChangePreview', { description: "What replacing a role's permissions would do; nothing is written" })
export class RoleChangePreviewType {
  organisationId!: string;
  @Field(() => RoleType) role!: RoleEntity;
  @Field(() => [String], { description: 'The proposed permissions, normalised' }) permissions!: string[];
  @Field(() => Int, { description: 'Members holding the role, directly or through a team' }) holderCount!: number;
  @Field(() => [RoleChangeEffectType], {
    description: `Every member holding the role (at most ${ACCESS_REVIEW_LIST_LIMIT}, by name), with what they would gain and lose (possibly nothing)`,
  })
  affected!: RoleChangeEffectType[];
}
