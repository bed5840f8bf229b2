import { IsBoolean, IsString } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { MAX_CSV_BYTES, MAX_CSV_ROWS } from './member-csv.parser';

@InputType()
export class ImportMembersInput {
  @Field(() => ID) organisationId!: string;
  @Field(() => String, {
    description:
      `CSV with the header email,name,initial_roles[,teams][,expires_at]; roles and teams by name (case-insensitive), comma-separated inside quotes; expires_at (ISO 8601, in the future; empty: permanent) ends the row's roles and team places then. ` +
      `At most ${MAX_CSV_BYTES} bytes and ${MAX_CSV_ROWS} rows. No roles: new members get the built-in Member role`,
  })
  @IsString() csv!: string;
  @Field(() => Boolean, { defaultValue: false, description: 'Report what would happen and write nothing' })
  @IsBoolean() dryRun!: boolean;
}
