import { OrganisationStatus } from './organisation-status';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** The tenant boundary: every other row except a User belongs to exactly one organisation. */
@Entity({ name: 'organisations' })
export class OrganisationEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text', unique: true }) slug!: string;
  @Column({ name: 'invitation_expiry_days', type: 'integer', default: 7 }) invitationExpiryDays!: number;
  /** The MFA policy's `requiredForAll` (see src/access/mfa-policy.ts). */
  @Column({ name: 'require_mfa', type: 'boolean', default: false }) requireMfa!: boolean;
  /** The longest elevation request, in hours (1–720). */
  @Column({ name: 'max_elevation_hours', type: 'integer', default: 8 }) maxElevationHours!: number;
  /** The MFA policy's `requiredForRoleIds`: roles of this organisation. */
  @Column({ name: 'mfa_required_role_ids', type: 'uuid', array: true, default: () => "'{}'" }) mfaRequiredRoleIds!: string[];
  /** The MFA policy's `graceUntil`: until then it withholds nothing (null: no grace period). */
  @Column({ name: 'mfa_grace_until', type: 'timestamptz', nullable: true }) mfaGraceUntil!: Date | null;
  @Column({ name: 'require_approval', type: 'boolean', default: false }) requireApproval!: boolean;
  @Column({ name: 'allowed_email_domains', type: 'text', array: true, default: () => "'{}'" }) allowedEmailDomains!: string[];
  @Column({ name: 'auto_join_domains', type: 'text', array: true, default: () => "'{}'" }) autoJoinDomains!: string[];
  /** null: every permission of the catalogue may be used. */
  @Column({ name: 'permission_boundary', type: 'text', array: true, nullable: true }) permissionBoundary!: string[] | null;
  /** ACTIVE; SUSPENDED (members refused until reactivated); DELETED (soft, purged after ORGANISATION_PURGE_DAYS); PURGED. */
  @Column({ type: 'text', default: OrganisationStatus.ACTIVE }) status!: OrganisationStatus;
  @Column({ name: 'suspended_at', type: 'timestamptz', nullable: true }) suspendedAt!: Date | null;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt!: Date | null;
  @Column({ name: 'purged_at', type: 'timestamptz', nullable: true }) purgedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
