/** A permission of the catalogue. */
export interface PermissionDefinition {
  key: string;
  description: string;
  implies: string[];
}

/** The built-in permissions and their implications (DESIGN.md §3). */
export const BUILT_IN_PERMISSIONS: PermissionDefinition[] = [
  { key: 'org:read', description: 'Read the organisation and its settings', implies: [] },
  { key: 'org:update', description: 'Edit the organisation and its settings', implies: ['org:read'] },
  { key: 'members:read', description: 'List members, their roles and teams', implies: [] },
  { key: 'members:read-contact', description: "Read members' email addresses", implies: ['members:read'] },
  { key: 'members:invite', description: 'Invite people to the organisation', implies: ['members:read', 'invitations:read'] },
  { key: 'members:manage', description: 'Approve, deactivate, reactivate and remove members', implies: ['members:read'] },
  { key: 'members:assign-roles', description: 'Assign roles to members', implies: ['members:read', 'roles:read'] },
  { key: 'invitations:read', description: 'List invitations', implies: [] },
  { key: 'invitations:manage', description: 'Resend and cancel invitations', implies: ['invitations:read'] },
  { key: 'teams:read', description: 'List teams and their members', implies: [] },
  { key: 'teams:create', description: 'Create teams', implies: ['teams:read'] },
  { key: 'teams:update', description: 'Edit teams and the roles they grant', implies: ['teams:read'] },
  { key: 'teams:delete', description: 'Delete teams', implies: ['teams:read'] },
  { key: 'teams:manage-members', description: "Add, move and remove teams' members", implies: ['teams:read', 'members:read'] },
  { key: 'roles:read', description: 'List roles and their permissions', implies: [] },
  { key: 'roles:manage', description: 'Create, edit and delete custom roles', implies: ['roles:read'] },
  { key: 'audit:read', description: 'Read the audit log', implies: [] },
  { key: 'events:read', description: "Read the organisation's domain events (the event feed)", implies: [] },
  { key: 'webhooks:manage', description: 'Register, change and delete webhook endpoints; see and redeliver their deliveries', implies: ['events:read'] },
  { key: 'access:review', description: 'Review access: privileged and inactive members, sign-ins', implies: ['members:read', 'roles:read', 'teams:read'] },
];

/** What a team MANAGER holds for their own team only. */
export const TEAM_MANAGER_PERMISSIONS = ['teams:read', 'teams:update', 'teams:manage-members', 'members:read'];
