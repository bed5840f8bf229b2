import { RoleType, type RoleView } from '../roles/role.type';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { MembershipStatus } from './membership-status';

registerEnumType(MembershipStatus, { name: 'MembershipStatus', description: 'Lifecycle of a member' });

@ObjectType('Membership', { description: "A user's place in one organisation, with their roles there" })
@Directive('@key(fields: "id")')
export class MembershipType {
  @Field(() => ID) id!: string;
  organisationId!: string;
  userId!: string;
  @Field(() => MembershipStatus) status!: MembershipStatus;
  @Field(() => Date) joinedAt!: Date;
  @Field(() => Date, { nullable: true }) deactivatedAt!: Date | null;
}

@ObjectType('RoleGrant', { description: 'A direct role as the member holds it, with the end of a time-bound grant' })
export class RoleGrantType {
  /** The membership's organisation, user and way of reaching it, for the rules (as on Membership). */
  organisationId!: string;
  userId!: string;
  viaTeamId?: string;
  @Field(() => RoleType) role!: RoleView;
  @Field(() => Date, { nullable: true, description: 'When the grant ends (time-bound access); null: permanent' }) expiresAt!: Date | null;
}

/** A membership as reached by this request: through a team's member list, team-scoped permissions apply. */
export type MembershipView = MembershipType & { viaTeamId?: string };
