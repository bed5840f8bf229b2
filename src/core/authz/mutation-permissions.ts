import { requireDecidableItem } from '../../campaigns/review-campaign-access';
import { requireInvitee } from '../../invitations/invitation-acceptance-access';
import { ownerRefusal } from '../../memberships/ownership-transfer.service';
import { requireManageableEndpoint, requireWebhookScope } from '../../webhooks/webhook-access';
import { AppError, ErrorCode, forbidden, notFound, organisationRefused } from '../errors';
import { isId } from '../ids';
import { decidedBy, demand, holdsIn, holdsOn, platformAdmin, signedIn, type Declaration } from './object-rules';

/**
 * What every mutation and every query entry point needs, in one place (README "Authorization
 * declarations"). The rule map turns each entry into the field's rule (see `declaredRules`), and the
 * services authorize with the same entry (`mutationPermissions.deleteTeam.authorize(ctx, { id })`),
 * then check what only they can see: no escalation, the last Owner, ids inside inputs.
 *
 * Adding a mutation: add its declaration here (the rule map and the snapshot follow), a case in
 * test/rule-service-agreement.test.ts (one line of its table), and call `authorize` in the service.
 */

const team = (permission: string, arg: string, teamScope: boolean) =>
  holdsOn(permission, { load: 'teamById', arg, what: 'Team', teamScope, visibleWith: 'teams:read' });
const membership = (permission: string) => holdsOn(permission, { load: 'membershipById', arg: 'membershipId', what: 'Membership' });
const invitation = (permission: string) => holdsOn(permission, { load: 'invitationById', arg: 'id', what: 'Invitation' });
const role = (permission: string | string[], arg = 'id') => holdsOn(permission, { load: 'roleById', arg, what: 'Role' });

/** webhooks:manage where the endpoint belongs; platform-wide endpoints are for platform administrators. */
const managesEndpoint = (arg: string) =>
  decidedBy(`managesWebhookEndpoint(webhooks:manage, webhookEndpointById(${arg}); platform-wide: platformAdmin)`, ['webhooks:manage'], true, async (ctx, args) => {
    const endpoint = await requireManageableEndpoint(ctx, args[arg]);
    return { object: endpoint, organisationId: endpoint.organisationId, snapshot: endpoint.organisationId ? await ctx.access(endpoint.organisationId) : null };
  });

export const mutationPermissions = {
  // invitations
  inviteUser: holdsIn('members:invite'),
  resendInvitation: invitation('invitations:manage'),
  cancelInvitation: invitation('invitations:manage'),
  acceptInvitation: decidedBy('invitee(token): the invitation names your verified email', [], false, async (ctx, args) => {
    const { organisationId } = await requireInvitee(ctx, args.token);
    return { object: undefined, organisationId, snapshot: null };
  }),
  importMembers: holdsIn(['members:invite', 'members:assign-roles']),
  // memberships
  approveMember: membership('members:manage'),
  deactivateMember: membership('members:manage'),
  reactivateMember: membership('members:manage'),
  removeMember: membership('members:manage'),
  assignRoles: holdsIn('members:assign-roles'),
  // teams
  createTeam: holdsIn('teams:create'),
  updateTeam: team('teams:update', 'id', true),
  deleteTeam: team('teams:delete', 'id', false),
  addTeamMember: team('teams:manage-members', 'input.teamId', true),
  setTeamMemberRole: team('teams:manage-members', 'input.teamId', true),
  removeTeamMember: team('teams:manage-members', 'teamId', true),
  setTeamRoles: team('teams:update', 'teamId', false),
  // organisations
  createOrganisation: platformAdmin(),
  updateOrganisation: holdsIn('org:update', 'id'),
  // roles
  createRole: holdsIn('roles:manage'),
  updateRole: role('roles:manage'),
  deleteRole: role('roles:manage'),
  // domains
  requestDomain: holdsIn('org:update', 'organisationId'),
  verifyDomain: holdsIn('org:update', 'organisationId'),
  approveDomain: platformAdmin(),
  removeDomain: holdsIn('org:update', 'organisationId'),
  // webhooks
  createWebhookEndpoint: decidedBy('managesWebhookScope(webhooks:manage, organisation(input.organisationId); none: platformAdmin)', ['webhooks:manage'], true, async (ctx, args) => {
    const organisationId: string | null = args.input?.organisationId ?? null;
    await requireWebhookScope(ctx, organisationId);
    return { object: undefined, organisationId, snapshot: organisationId ? await ctx.access(organisationId) : null };
  }),
  updateWebhookEndpoint: managesEndpoint('id'),
  deleteWebhookEndpoint: managesEndpoint('id'),
  rotateWebhookSecret: managesEndpoint('id'),
  redeliverEvent: managesEndpoint('endpointId'),
  // organisation and user lifecycle
  appointOwner: platformAdmin(),
  suspendOrganisation: platformAdmin(),
  reactivateOrganisation: platformAdmin(),
  deleteOrganisation: platformAdmin(),
  transferOwnership: decidedBy('owner(organisation(organisationId)): an Owner of it, active, MFA shown where required', [], true, async (ctx, args) => {
    ctx.requirePrincipal();
    if (!isId(args.organisationId)) throw notFound('Organisation');
    const snapshot = await ctx.access(args.organisationId);
    const refusal = ownerRefusal(snapshot);
    if (refusal) throw refusal;
    return { object: undefined, organisationId: args.organisationId, snapshot };
  }),
  eraseUser: decidedBy('platformAdmin, or yourself(id) (the right to erasure)', [], false, async (ctx, args) => {
    const principal = ctx.requirePrincipal();
    if (!principal.isPlatformAdmin && args.id !== principal.user.id) throw forbidden('Only platform administrators erase other users');
    return { object: undefined, organisationId: null, snapshot: null };
  }),
  // time-bound access: elevation requests (the request is loaded by the elevation service, as its list shows it)
  requestElevation: decidedBy('activeMemberOf(organisation(input.organisationId)): any active member may ask', [], true, async (ctx, args) => {
    ctx.requirePrincipal();
    const organisationId = args.input?.organisationId;
    if (!isId(organisationId)) throw notFound('Organisation');
    const snapshot = await ctx.access(organisationId);
    if (!snapshot.active || snapshot.membershipId === null) {
      if (snapshot.refusal) throw organisationRefused(snapshot.refusal);
      if (snapshot.mfaRequired) throw new AppError(ErrorCode.MFA_REQUIRED);
      throw notFound('Organisation');
    }
    return { object: undefined, organisationId, snapshot };
  }),
  decideElevation: decidedBy("decidesElevation(members:assign-roles, elevationRequest(id); never your own)", ['members:assign-roles'], true, async (ctx, args) => {
    const request = await ctx.services.elevation.requireVisible(ctx, args.id);
    const snapshot = await ctx.access(request.organisationId);
    demand(snapshot, 'members:assign-roles', 'ElevationRequest');
    if (request.requesterMembershipId === snapshot.membershipId) throw forbidden('You cannot decide your own elevation request');
    return { object: request, organisationId: request.organisationId, snapshot };
  }),
  cancelElevation: decidedBy('requester(elevationRequest(id))', [], true, async (ctx, args) => {
    const request = await ctx.services.elevation.requireVisible(ctx, args.id);
    if (request.requesterUserId !== ctx.userId) throw forbidden('Only the requester may cancel an elevation request');
    return { object: request, organisationId: request.organisationId, snapshot: null };
  }),
  // access-review campaigns
  createReviewCampaign: holdsIn('access:review'),
  decideReviewItem: decidedBy("reviewsItem(reviewItemById(id): its reviewer, a manager of its team or the campaign's owner; never your own)", ['access:review'], true, async (ctx, args) => {
    const { item, snapshot } = await requireDecidableItem(ctx, args.id);
    return { object: item, organisationId: item.organisationId, snapshot };
  }),
  closeReviewCampaign: holdsOn('access:review', { load: 'reviewCampaignById', arg: 'id', what: 'ReviewCampaign' }),
} satisfies Record<string, Declaration<any>>;

/**
 * Root query fields. Entry points that read one object by id answer null for what the caller may not see
 * (the object's own type rules decide, reading its data); those that act on a target declare it like a mutation.
 */
export const queryPermissions = {
  viewer: signedIn('yourself'),
  team: signedIn('null unless the Team rules let you read it'),
  user: signedIn('null unless the User rules let you read it'),
  organisation: signedIn('null unless you are a member or a platform administrator'),
  organisations: signedIn('the organisations you belong to; every one for platform administrators'),
  permissionCatalogue: signedIn('the catalogue is public to signed-in callers'),
  reviewCampaign: signedIn('null unless you hold access:review in its organisation'),
  invitationPreview: signedIn('the token is the secret: any signed-in holder may preview what it offers'),
  explainAccess: holdsIn('access:review', 'organisationId'),
  previewRoleChange: role(['roles:manage', 'members:read'], 'roleId'),
  platformEvents: platformAdmin(),
  platformWebhookEndpoints: platformAdmin(),
} satisfies Record<string, Declaration<any>>;

export type MutationName = keyof typeof mutationPermissions;
