/**
 * The demo organisation of `seed --demo`: a small company with every kind of data the dashboards show
 * (custom roles, teams granting roles, team managers, members in each status, invitations, an audit
 * history). Addresses use the reserved `.example` domain.
 */

export const DEMO_NAME = 'Northwind Labs (demo)';
export const DEMO_DOMAIN = 'northwind.example';

export const DEMO_ROLES = [
  { name: 'Support Agent', description: 'Answers customers: sees members and their contact details', permissions: ['members:read-contact', 'invitations:read'] },
  { name: 'Auditor', description: 'Reviews access and reads the audit log', permissions: ['audit:read', 'access:review'] },
  { name: 'Team Lead', description: 'Invites people and looks after teams', permissions: ['members:invite', 'teams:read', 'teams:manage-members'] },
];

/** Teams, with the custom roles each grants to its members. */
export const DEMO_TEAMS = [
  { name: 'Platform Engineering', description: 'APIs, infrastructure and the developer platform', grants: [] as string[] },
  { name: 'Product Design', description: 'Research, design systems and prototypes', grants: [] },
  { name: 'Customer Support', description: 'First and second line support', grants: ['Support Agent'] },
  { name: 'Finance', description: 'Billing, budgets and reporting', grants: [] },
  { name: 'Security', description: 'Security engineering and compliance', grants: ['Auditor'] },
];

/** The people imported with `members import`'s format: email, name, roles, teams. */
export const DEMO_PEOPLE: [string, string, string[], string[]][] = [
  ['grace.hopper', 'Grace Hopper', ['Admin'], ['Platform Engineering', 'Security']],
  ['alan.turing', 'Alan Turing', ['Manager', 'Team Lead'], ['Platform Engineering']],
  ['katherine.johnson', 'Katherine Johnson', ['Member'], ['Platform Engineering']],
  ['margaret.hamilton', 'Margaret Hamilton', ['Member'], ['Platform Engineering', 'Security']],
  ['dennis.ritchie', 'Dennis Ritchie', ['Member'], ['Platform Engineering']],
  ['barbara.liskov', 'Barbara Liskov', ['Member'], ['Platform Engineering']],
  ['ken.thompson', 'Ken Thompson', ['Viewer'], ['Platform Engineering']],
  ['dieter.rams', 'Dieter Rams', ['Manager', 'Team Lead'], ['Product Design']],
  ['susan.kare', 'Susan Kare', ['Member'], ['Product Design']],
  ['paula.scher', 'Paula Scher', ['Member'], ['Product Design']],
  ['don.norman', 'Don Norman', ['Member'], ['Product Design', 'Customer Support']],
  ['mary.kom', 'Mary Kom', ['Manager'], ['Customer Support']],
  ['james.baldwin', 'James Baldwin', ['Member'], ['Customer Support']],
  ['chinua.achebe', 'Chinua Achebe', ['Member'], ['Customer Support']],
  ['wangari.maathai', 'Wangari Maathai', ['Member'], ['Customer Support']],
  ['ada.yonath', 'Ada Yonath', ['Admin'], ['Finance']],
  ['john.nash', 'John Nash', ['Member'], ['Finance']],
  ['hedy.lamarr', 'Hedy Lamarr', ['Member'], ['Security']],
  ['whitfield.diffie', 'Whitfield Diffie', ['Auditor'], []],
  ['rosalind.franklin', 'Rosalind Franklin', ['Viewer'], []],
  ['tim.berners-lee', 'Tim Berners-Lee', ['Member'], []],
  ['frances.allen', 'Frances Allen', ['Member'], ['Platform Engineering']],
];

/** Team managers (beyond their MEMBER place from the import). */
export const DEMO_MANAGERS: [string, string][] = [
  ['alan.turing', 'Platform Engineering'],
  ['dieter.rams', 'Product Design'],
  ['mary.kom', 'Customer Support'],
];

/** Who left (deactivated), who waits for approval, and who is invited (the last one is then cancelled). */
export const DEMO_DEACTIVATED = 'tim.berners-lee';
export const DEMO_PENDING = ['claude.shannon', 'Claude Shannon'] as const;
export const DEMO_INVITATIONS: [string, string[], string[]][] = [
  ['new.hire', ['Member'], ['Product Design']],
  ['contractor', ['Viewer'], ['Platform Engineering']],
  ['former.candidate', ['Member'], []],
];

/** Days since each person last signed in (people not listed have never signed in). */
export const DEMO_LAST_SIGN_IN_DAYS: Record<string, number> = {
  'grace.hopper': 0,
  'alan.turing': 1,
  'katherine.johnson': 2,
  'margaret.hamilton': 5,
  'dieter.rams': 0,
  'susan.kare': 12,
  'mary.kom': 3,
  'james.baldwin': 45,
  'ada.yonath': 7,
  'john.nash': 120,
  'whitfield.diffie': 30,
  'ken.thompson': 200,
};

export const demoEmail = (localPart: string) => `${localPart}@${DEMO_DOMAIN}`;

/** The people as an import file. */
export function demoMembersCsv(): string {
  const quoted = (field: string) => `"${field}"`;
  const rows = DEMO_PEOPLE.map(([local, name, roles, teams]) => [demoEmail(local), name, roles.join(','), teams.join(',')].map(quoted).join(','));
  return `email,name,initial_roles,teams\n${rows.join('\n')}\n`;
}
