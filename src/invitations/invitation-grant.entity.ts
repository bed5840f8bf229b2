import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A role the invitee receives on acceptance. */
@Entity({ name: 'invitation_roles' })
export class InvitationRoleEntity {
  @PrimaryColumn({ name: 'invitation_id', type: 'uuid' }) invitationId!: string;
  @PrimaryColumn({ name: 'role_id', type: 'uuid' }) roleId!: string;
  @Column({ name: 'organisation_id', type: 'uuid' }) organisationId!: string;
}

/** A team the invitee joins on acceptance. */
@Entity({ name: 'invitation_teams' })
export class InvitationTeamEntity {
  @PrimaryColumn({ name: 'invitation_id', type: 'uuid' }) invitationId!: string;
  @PrimaryColumn({ name: 'team_id', type: 'uuid' }) teamId!: string;
  @Column({ name: 'organisation_id', type: 'uuid' }) organisationId!: string;
}
