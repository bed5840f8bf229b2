import { AuditEventEntity } from '../../audit/audit-event.entity';
import { OrganisationDomainEntity } from '../../domains/organisation-domain.entity';
import { InvitationRoleEntity, InvitationTeamEntity } from '../../invitations/invitation-grant.entity';
import { InvitationEntity } from '../../invitations/invitation.entity';
import { MembershipRoleEntity } from '../../memberships/membership-role.entity';
import { MembershipEntity } from '../../memberships/membership.entity';
import { OrganisationEntity } from '../../organisations/organisation.entity';
import { RoleEntity } from '../../roles/role.entity';
import { TeamMemberEntity } from '../../teams/team-member.entity';
import { TeamRoleEntity } from '../../teams/team-role.entity';
import { TeamEntity } from '../../teams/team.entity';
import { UserEntity } from '../../users/user.entity';

/** Every TypeORM entity of the service. */
export const entities = [
  OrganisationEntity,
  UserEntity,
  MembershipEntity,
  MembershipRoleEntity,
  RoleEntity,
  TeamEntity,
  TeamMemberEntity,
  TeamRoleEntity,
  InvitationEntity,
  InvitationRoleEntity,
  InvitationTeamEntity,
  AuditEventEntity,
  OrganisationDomainEntity,
];
