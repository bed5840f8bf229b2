import { domainAllowed, emailDomain } from '../../invitations/invitation-policy';
import type { RoleEntity } from '../../roles/role.entity';
import type { MemberCsvRow } from './member-csv.parser';
import { ImportRowStatus } from './member-import.type';

/** A user the file names who exists already, with their membership here (if any) and what it holds directly. */
export interface KnownPerson {
  userId: string;
  membershipId: string | null;
  roleIds: string[];
  teamIds: string[];
}

export interface ImportTeam {
  id: string;
  name: string;
  grantedRoleIds: string[];
}

/** What the database says about the names and emails of one file (a few set-based statements). */
export interface ImportLookups {
  /** By normalised email. */
  people: Map<string, KnownPerson>;
  /** Every role of the organisation. */
  roles: RoleEntity[];
  /** By lower-cased name. */
  teams: Map<string, ImportTeam>;
  allowedEmailDomains: readonly string[];
}

/** What the caller may hand out (DESIGN.md §3, no escalation). */
export interface GrantPolicy {
  /** null when the caller may grant the role, else why not. */
  refuseRole(role: RoleEntity): string | null;
  /** Whether the caller may place members in teams at all. */
  mayPlaceInTeams: boolean;
}

export interface RowPlan {
  line: number;
  email: string;
  name: string;
  status: ImportRowStatus;
  errors: string[];
  /** null: a placeholder user is to be created. */
  userId: string | null;
  /** null: a membership is to be created. */
  membershipId: string | null;
  /** What the row adds (roles and team places already held are left out). */
  roleIds: string[];
  /** The existing member's direct roles before the import (empty for a new member). */
  heldRoleIds: string[];
  teamIds: string[];
  /** The end of the grants the row adds (roles and team places); null: permanent. */
  expiresAt: Date | null;
}

export interface ImportPlan {
  rows: RowPlan[];
  /** True when any row has errors: then nothing is written and good rows are SKIPPED. */
  failed: boolean;
  created: number;
  updated: number;
}

/**
 * Decides every row: the file's own problems, unknown roles and teams, email domains (for new
 * members), and grants the caller may not make. One bad row fails the whole import.
 */
export function planImport(rows: readonly MemberCsvRow[], lookups: ImportLookups, policy: GrantPolicy): ImportPlan {
  const rolesByName = new Map(lookups.roles.map((role) => [role.name.toLowerCase(), role]));
  const rolesById = new Map(lookups.roles.map((role) => [role.id, role]));
  const planned = rows.map((row) => planRow(row, { ...lookups, rolesByName, rolesById }, policy));
  const failed = planned.some((row) => row.status === ImportRowStatus.ERROR);
  if (failed) {
    for (const row of planned) if (row.status !== ImportRowStatus.ERROR) row.status = ImportRowStatus.SKIPPED;
    return { rows: planned, failed, created: 0, updated: 0 };
  }
  const count = (status: ImportRowStatus) => planned.filter((row) => row.status === status).length;
  return { rows: planned, failed, created: count(ImportRowStatus.CREATED), updated: count(ImportRowStatus.UPDATED) };
}

interface IndexedLookups extends ImportLookups {
  rolesByName: Map<string, RoleEntity>;
  rolesById: Map<string, RoleEntity>;
}

function planRow(row: MemberCsvRow, lookups: IndexedLookups, policy: GrantPolicy): RowPlan {
  const errors = [...row.errors];
  const person = row.emailValid ? lookups.people.get(row.email) : undefined;
  const member = person?.membershipId ? person : null;
  // Who may join is the domain policy's business; someone already in is not joining.
  if (row.emailValid && !member && !domainAllowed(lookups.allowedEmailDomains, row.email)) {
    errors.push(`Addresses at @${emailDomain(row.email)} may not join this organisation`);
  }
  const roles = resolveRoles(row, member === null, lookups, errors);
  const teams = resolveTeams(row, lookups, errors);
  const addedRoles = roles.filter((role) => !member?.roleIds.includes(role.id));
  const addedTeams = teams.filter((team) => !member?.teamIds.includes(team.id));
  errors.push(...grantRefusals(addedRoles, addedTeams, lookups.rolesById, policy));
  if (row.expiresAt !== null && (addedRoles.some(isOwner) || addedTeams.some((team) => team.grantedRoleIds.some((id) => isOwner(lookups.rolesById.get(id)))))) {
    errors.push('The Owner role cannot be time-bound (expires_at)');
  }
  return {
    line: row.line,
    email: row.email,
    name: row.name,
    status: statusOf(errors, member, addedRoles.length + addedTeams.length),
    errors,
    userId: person?.userId ?? null,
    membershipId: member?.membershipId ?? null,
    roleIds: addedRoles.map((role) => role.id),
    heldRoleIds: member?.roleIds ?? [],
    teamIds: addedTeams.map((team) => team.id),
    expiresAt: row.expiresAt,
  };
}

const isOwner = (role: RoleEntity | undefined) => role?.builtInKey === 'owner';

function statusOf(errors: string[], member: KnownPerson | null, additions: number): ImportRowStatus {
  if (errors.length > 0) return ImportRowStatus.ERROR;
  if (!member) return ImportRowStatus.CREATED;
  return additions > 0 ? ImportRowStatus.UPDATED : ImportRowStatus.UNCHANGED;
}

/** The named roles; a new member named with none gets the built-in Member role (as an invitation does). */
function resolveRoles(row: MemberCsvRow, joining: boolean, lookups: IndexedLookups, errors: string[]): RoleEntity[] {
  if (row.roleNames.length === 0) {
    const member = lookups.roles.find((role) => role.builtInKey === 'member');
    return joining && member ? [member] : [];
  }
  const roles: RoleEntity[] = [];
  for (const name of row.roleNames) {
    const role = lookups.rolesByName.get(name.toLowerCase());
    if (role) roles.push(role);
    else errors.push(`Unknown role "${name}"`);
  }
  return roles;
}

function resolveTeams(row: MemberCsvRow, lookups: IndexedLookups, errors: string[]): ImportTeam[] {
  const teams: ImportTeam[] = [];
  for (const name of row.teamNames) {
    const team = lookups.teams.get(name.toLowerCase());
    if (team) teams.push(team);
    else errors.push(`Unknown team "${name}"`);
  }
  return teams;
}

/** A role given directly, and every role a new team place grants, must be the caller's to grant. */
function grantRefusals(roles: RoleEntity[], teams: ImportTeam[], rolesById: Map<string, RoleEntity>, policy: GrantPolicy): string[] {
  const refusals: string[] = [];
  for (const role of roles) {
    const refusal = policy.refuseRole(role);
    if (refusal) refusals.push(refusal);
  }
  if (teams.length > 0 && !policy.mayPlaceInTeams) refusals.push('Placing members in teams needs teams:manage-members');
  for (const team of teams) {
    for (const roleId of team.grantedRoleIds) {
      const role = rolesById.get(roleId);
      const refusal = role ? policy.refuseRole(role) : null;
      if (refusal) refusals.push(`Team "${team.name}" grants role "${role?.name}": ${refusal}`);
    }
  }
  return refusals;
}
