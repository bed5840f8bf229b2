import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { TeamMemberRole } from './team-member-role';

/** A membership's place in a team, as MANAGER or MEMBER. */
@Entity({ name: 'team_members' })
export class TeamMemberEntity {
  @PrimaryColumn({ name: 'team_id', type: 'uuid' }) teamId!: string;
  @PrimaryColumn({ name: 'membership_id', type: 'uuid' }) membershipId!: string;
  @Column({ name: 'organisation_id', type: 'uuid' }) organisationId!: string;
  @Column({ type: 'text', default: TeamMemberRole.MEMBER }) role!: TeamMemberRole;
  @CreateDateColumn({ name: 'added_at', type: 'timestamptz' }) addedAt!: Date;
  /** null: permanent; else the place (and what the team grants through it) ends then. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
}
