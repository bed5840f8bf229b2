import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum DomainStatus {
  PENDING = 'PENDING',
  VERIFIED = 'VERIFIED',
}

export enum DomainVerificationMethod {
  DNS_TXT = 'DNS_TXT',
  PLATFORM_ADMIN = 'PLATFORM_ADMIN',
}

/**
 * A domain an organisation claims. PENDING until proven (a DNS TXT record with its token, or a platform
 * administrator's approval); only a VERIFIED domain may be in autoJoinDomains. Many organisations may
 * ask for one domain; the database lets only one hold it VERIFIED.
 */
@Entity({ name: 'organisation_domains' })
export class OrganisationDomainEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'organisation_id', type: 'uuid' }) organisationId!: string;
  @Column({ type: 'text' }) domain!: string;
  @Column({ type: 'text' }) status!: DomainStatus;
  @Column({ name: 'verification_token', type: 'text' }) verificationToken!: string;
  @Column({ name: 'verification_method', type: 'text', nullable: true }) verificationMethod!: DomainVerificationMethod | null;
  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true }) verifiedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
