import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';

/** What an import does (or, in a dry run, would do) with one row. */
export enum ImportRowStatus {
  CREATED = 'CREATED',
  UPDATED = 'UPDATED',
  UNCHANGED = 'UNCHANGED',
  SKIPPED = 'SKIPPED',
  ERROR = 'ERROR',
}

registerEnumType(ImportRowStatus, {
  name: 'ImportRowStatus',
  description: 'Outcome of one row of a member import',
  valuesConfig: {
    CREATED: { description: 'A membership is created (and a placeholder user when the email is new)' },
    UPDATED: { description: 'An existing member gains roles or team places' },
    UNCHANGED: { description: 'An existing member already holds every role and team place of the row' },
    SKIPPED: { description: 'A good row not imported because other rows have errors (nothing is written then)' },
    ERROR: { description: 'The row has errors; see `errors`' },
  },
});

@ObjectType('ImportMemberRow', { description: 'One data row of an import file' })
export class ImportMemberRowType {
  /** The organisation imported into, for the contact rule (not exposed). */
  organisationId!: string;
  @Field(() => Int, { description: 'Line in the file where the row starts; the header is line 1' }) line!: number;
  @Field(() => String, { nullable: true, description: 'Trimmed and lower-cased when it is an address; else as written. Contact detail: needs members:read-contact; hidden, not refused: null with no error without it' })
  email!: string;
  @Field(() => ImportRowStatus) status!: ImportRowStatus;
  @Field(() => [String], { description: 'Why the row cannot be imported; empty unless status is ERROR. Addresses in them are hidden as for `email`' })
  errors!: string[];
}

@ObjectType('ImportMembersPayload', {
  description: 'The per-row report of an import. A dry run returns exactly what the real run would, and writes nothing',
})
export class ImportMembersPayload {
  @Field(() => Boolean) dryRun!: boolean;
  @Field(() => Int, { description: 'Memberships created (0 when any row has errors: then nothing is written)' }) created!: number;
  @Field(() => Int, { description: 'Existing memberships that gained roles or team places (0 when any row has errors)' }) updated!: number;
  @Field(() => [ImportMemberRowType], { description: 'Every data row, in file order' }) rows!: ImportMemberRowType[];
}
