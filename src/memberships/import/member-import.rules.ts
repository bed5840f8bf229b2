import { allow } from 'graphql-shield';
import { redacted, type RuleMap } from '../../core/authz/apply-rules';
import { contactField } from '../../core/authz/contact-details';

export const memberImportRules: RuleMap = {
  // Reached only through importMembers: a report about the caller's own input.
  ImportMembersPayload: { '*': allow },
  ImportMemberRow: {
    '*': allow,
    // The one contact rule (src/core/authz/contact-details.ts): the caller's own file, but still addresses.
    email: redacted(contactField('ImportMemberRow', (row: { organisationId: string }) => ({ scopes: [{ organisationId: row.organisationId }] }))),
  },
};
