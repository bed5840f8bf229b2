import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** One accountable person, global across organisations. A placeholder has no issuer/subject yet. */
@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', nullable: true }) issuer!: string | null;
  @Column({ type: 'text', nullable: true }) subject!: string | null;
  /** Stored normalised (trimmed, lower case); unique case-insensitively. */
  @Column({ type: 'text', nullable: true }) email!: string | null;
  @Column({ name: 'email_verified', type: 'boolean', default: false }) emailVerified!: boolean;
  @Column({ name: 'display_name', type: 'text', default: '' }) displayName!: string;
  @Column({ name: 'last_sign_in_at', type: 'timestamptz', nullable: true }) lastSignInAt!: Date | null;
  /** When a token of this user first showed a second factor (AUTH_MFA_AMR_VALUES): enrolled in MFA. */
  @Column({ name: 'mfa_enrolled_at', type: 'timestamptz', nullable: true }) mfaEnrolledAt!: Date | null;
  /** Set when the person was erased (the row pseudonymised): see UserErasureService. */
  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true }) erasedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
