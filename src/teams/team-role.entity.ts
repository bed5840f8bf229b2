import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A role a team grants to every one of its members. */
@Entity({ name: 'team_roles' })
export class TeamRoleEntity {
  @PrimaryColumn({ name: 'team_id', type: 'uuid' }) teamId!: string;
  @PrimaryColumn({ name: 'role_id', type: 'uuid' }) roleId!: string;
  @Column({ name: 'organisation_id', type: 'uuid' }) organisationId!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
