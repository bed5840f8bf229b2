import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { connectionTypes } from '../core/graphql/connection';
import { TeamMemberRole } from './team-member-role';

registerEnumType(TeamMemberRole, { name: 'TeamMemberRole', description: "A member's place in a team" });

@ObjectType('Team', { description: 'A group inside one organisation; may grant roles to all its members' })
@Directive('@key(fields: "id")')
export class TeamType {
  @Field(() => ID) id!: string;
  organisationId!: string;
  @Field(() => String) name!: string;
  @Field(() => String) description!: string;
  @Field(() => Date) createdAt!: Date;
}

@ObjectType('TeamMembership', { description: "A member's place in a team" })
export class TeamMembershipType {
  organisationId!: string;
  teamId!: string;
  membershipId!: string;
  @Field(() => TeamMemberRole) role!: TeamMemberRole;
  @Field(() => Date) addedAt!: Date;
  @Field(() => Date, { nullable: true, description: 'When this place ends (time-bound access); null: permanent' }) expiresAt!: Date | null;
}

export const { ConnectionType: TeamConnection } = connectionTypes(TeamType, 'Team');
export const { ConnectionType: TeamMemberConnection } = connectionTypes(TeamMembershipType, 'TeamMember');

/** A team place as the rules read it (its organisation, team and membership). */
export type TeamPlaceView = TeamMembershipType;

/** A team as the rules read it. */
export type TeamView = TeamType;
