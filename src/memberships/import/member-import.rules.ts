import { allow, and } from 'graphql-shield';
import type { RuleMap } from '../../core/authz/apply-rules';
import { holdsOnArgument } from '../../core/authz/common-rules';
import { contactField } from '../../core/authz/contact-details';

export const memberImportRules: RuleMap = {
  Mutation: {
    // Adding people is inviting them, and the file hands out roles. The service checks both again, and
    // every role and team per row against what the caller may grant (no escalation).
    importMembers: and(holdsOnArgument('members:invite'), holdsOnArgument('members:assign-roles')),
  },
  // Reached only through importMembers: a report about the caller's own input.
  ImportMembersPayload: { '*': allow },
  ImportMemberRow: {
    '*': allow,
    // The one contact rule (src/core/authz/contact-details.ts): the caller's own file, but still addresses.
    email: contactField('ImportMemberRow', (row: { organisationId: string }) => ({ scopes: [{ organisationId: row.organisationId }] })),
  },
};
