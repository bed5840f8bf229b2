import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A role held directly by a membership. */
@Entity({ name: 'membership_roles' })
export class MembershipRoleEntity {
  @PrimaryColumn({ name: 'membership_id', type: 'uuid' }) membershipId!: string;
  @PrimaryColumn({ name: 'role_id', type: 'uuid' }) roleId!: string;
  @Column({ name: 'organisation_id', type: 'uuid' }) organisationId!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  /** null: permanent; else the grant counts until then (grant-expiry.ts). */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
}
