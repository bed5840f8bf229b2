/**
 * The soak's virtual users (loaded by the load generator's worker, see load-generator.ts): each one a
 * dashboard user going round a realistic mix of the contract's reads and writes, 10 reads to 6 writes,
 * with state of its own: the next Members page from the cursor the first returned, the invitation it
 * created to cancel, a member of its own to give and take a role, deactivate and reactivate (so no
 * two users ever fight over one member and every write is valid). Users start at different places in
 * the round.
 */
import type autocannon from 'autocannon';

export interface SoakPlanData {
  organisationId: string;
  ownerToken: string;
  viewerToken: string;
  teamId: string;
  memberRoleId: string;
  /** One member per virtual user, by index. */
  targets: string[];
  /** Contract operation name → its text. */
  operations: Record<string, string>;
  /** Makes invitation emails unique to this run. */
  runId: string;
}

export interface OperationStats {
  completed: number;
  failed: number;
  firstFailure?: string;
}

const stats = new Map<string, OperationStats>();

function statsOf(label: string): OperationStats {
  let known = stats.get(label);
  if (!known) {
    known = { completed: 0, failed: 0 };
    stats.set(label, known);
  }
  return known;
}

/** Completed and failed responses per step of the mix, in this thread. */
export function summary(): Record<string, OperationStats> {
  return Object.fromEntries(stats);
}

interface UserState {
  cursor: string | null;
  invitationId: string | null;
  invited: number;
}

/** The requests of virtual user `index`, in the order it sends them, round after round. */
export function virtualUser(data: SoakPlanData, index: number): autocannon.Request[] {
  const target = data.targets[index];
  if (!target) throw new Error(`no member for virtual user ${index} (${data.targets.length} targets)`);
  const state: UserState = { cursor: null, invitationId: null, invited: 0 };
  const { organisationId } = data;
  // `variables` answers null when the step cannot be sent (its invitation's creation got no answer, a
  // failure already counted): autocannon then starts the user's round again instead of sending it.
  const step = (label: string, operation: string, token: string, variables: () => Record<string, unknown> | null, remember?: (result: any) => void): autocannon.Request => ({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    setupRequest(request) {
      const values = variables();
      if (!values) return null as unknown as autocannon.Request;
      request.body = JSON.stringify({ query: data.operations[operation], variables: values });
      return request;
    },
    onResponse(status, body) {
      const counted = statsOf(label);
      counted.completed += 1;
      const good = status === 200 && body.startsWith('{"data":{') && !body.includes('"errors":[');
      if (!good) {
        counted.failed += 1;
        counted.firstFailure ??= `HTTP ${status}: ${body.slice(0, 300)}`;
        return;
      }
      remember?.(JSON.parse(body).data);
    },
  });
  const owner = data.ownerToken;
  const round = [
    step('Viewer (Viewer role)', 'Viewer', data.viewerToken, () => ({})),
    step('OrganisationOverview', 'OrganisationOverview', owner, () => ({ id: organisationId })),
    step('Members page 1', 'Members', owner, () => ({ organisationId, first: 50 }), (result) => {
      state.cursor = result.organisation.members.pageInfo.endCursor;
    }),
    step('Members page 2', 'Members', owner, () => ({ organisationId, first: 50, after: state.cursor })),
    step('AssignRoles ADD', 'AssignRoles', owner, () => ({ input: { organisationId, membershipIds: [target], roleIds: [data.memberRoleId], mode: 'ADD' } })),
    step('TeamDetail', 'TeamDetail', owner, () => ({ id: data.teamId, first: 50 })),
    step('AssignRoles REMOVE', 'AssignRoles', owner, () => ({ input: { organisationId, membershipIds: [target], roleIds: [data.memberRoleId], mode: 'REMOVE' } })),
    step('Members search', 'Members', owner, () => ({ organisationId, first: 20, filter: { search: 'person 0004' } })),
    step('InviteUser', 'InviteUser', owner, () => ({ input: { organisationId, email: `soak-${data.runId}-${index}-${(state.invited += 1)}@soak.example` } }), (result) => {
      state.invitationId = result.inviteUser.invitation.id;
    }),
    step('Invitations', 'Invitations', owner, () => ({ organisationId, first: 20, status: 'PENDING' })),
    step('CancelInvitation', 'CancelInvitation', owner, () => {
      const id = state.invitationId;
      state.invitationId = null;
      return id ? { id } : null;
    }),
    step('Roles', 'Roles', owner, () => ({ organisationId })),
    step('DeactivateMember', 'DeactivateMember', owner, () => ({ membershipId: target })),
    step('AuditLog', 'AuditLog', owner, () => ({ organisationId, first: 20 })),
    step('ReactivateMember', 'ReactivateMember', owner, () => ({ membershipId: target })),
    step('Viewer (Owner)', 'Viewer', owner, () => ({})),
  ];
  // Users do not move in lockstep: each starts at its own place in the round (one where no pair of steps
  // is open: not between an invitation and its cancellation, nor a deactivation and its reactivation),
  // so 50 users do not all take the organisation's lock for the same write at the same moment.
  const start = SAFE_STARTS[index % SAFE_STARTS.length];
  return [...round.slice(start), ...round.slice(0, start)];
}

/** Places in the round a user may start at (see the end of virtualUser). */
const SAFE_STARTS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15];
