import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../core/context/request-context';
import { ImportMembersInput } from './member-import.inputs';
import { ImportMembersPayload } from './member-import.type';

@Resolver()
export class MemberImportResolver {
  @Mutation(() => ImportMembersPayload, {
    description:
      'members:invite and members:assign-roles: adds the people of a CSV file as members (placeholders for unknown emails), ' +
      'with roles and team places. A real run writes every row or, when any row has errors, none',
  })
  importMembers(@Ctx() ctx: RequestContext, @Arg('input', () => ImportMembersInput) input: ImportMembersInput): Promise<ImportMembersPayload> {
    return ctx.services.memberImport.import(ctx, input);
  }
}
