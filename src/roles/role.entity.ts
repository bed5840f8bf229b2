import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A named set of permissions in one organisation. Built-in roles carry a key and fixed permissions. */
@Entity({ name: 'roles' })
export class RoleEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'organisation_id', type: 'uuid' }) organisationId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text', default: '' }) description!: string;
  /** owner | admin | manager | member | viewer for built-in roles, null for custom ones. */
  @Column({ name: 'built_in_key', type: 'text', nullable: true }) builtInKey!: string | null;
  /** Permissions of a custom role (built-in roles take theirs from the catalogue). */
  @Column({ type: 'text', array: true, default: () => "'{}'" }) permissions!: string[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
