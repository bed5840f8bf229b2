export interface InvitationEmailFacts {
  organisationName: string;
  inviterName: string | null;
  email: string;
  url: string;
  expiresAt: Date;
}

/** The invitation email (plain text). */
export function composeInvitationEmail(facts: InvitationEmailFacts): { subject: string; body: string } {
  const who = facts.inviterName?.trim() ? `${facts.inviterName.trim()} invited you` : 'You are invited';
  return {
    subject: `Invitation to join ${facts.organisationName}`,
    body: [
      `${who} to join ${facts.organisationName}.`,
      '',
      `Accept the invitation: ${facts.url}`,
      '',
      `Sign in as ${facts.email} to accept it. The invitation expires at ${facts.expiresAt.toISOString()}.`,
      'If you did not expect it, you can ignore this email.',
    ].join('\n'),
  };
}
