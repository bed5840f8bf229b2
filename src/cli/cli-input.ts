import { validate } from 'class-validator';
import { CliFailure } from './cli-errors';

/**
 * An input object for a service, checked by the same class-validator rules the GraphQL API applies
 * (TypeGraphQL validates them there; services called directly would not).
 */
export async function validatedInput<T extends object>(type: new () => T, values: Partial<T>): Promise<T> {
  const input = Object.assign(new type(), values);
  const errors = await validate(input);
  if (errors.length > 0) {
    throw new CliFailure(errors.flatMap((error) => Object.values(error.constraints ?? {})).join('; '));
  }
  return input;
}
