/** A member's place in a team. */
export enum TeamMemberRole {
  MANAGER = 'MANAGER',
  MEMBER = 'MEMBER',
}
