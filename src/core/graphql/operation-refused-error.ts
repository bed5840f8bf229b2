import { GraphQLError, type ASTNode } from 'graphql';
import { ErrorCode } from '../errors';

/** The variables that set the request limits; a refusal names the one it hit in `extensions.limit`. */
export type LimitName =
  | 'MAX_QUERY_TOKENS'
  | 'MAX_QUERY_NODES'
  | 'MAX_QUERY_DEPTH'
  | 'MAX_QUERY_ALIASES'
  | 'MAX_QUERY_DIRECTIVES'
  | 'MAX_QUERY_COST'
  | 'MAX_ENTITY_REPRESENTATIONS'
  | 'MAX_LIST_ITEMS'
  | 'MAX_RESPONSE_BYTES';

/** What a refusal tells the client beside its message: the limit and the figures. */
export interface RefusalDetails {
  limit?: LimitName;
  maximum?: number;
  actual?: number;
  [figure: string]: unknown;
}

/**
 * An operation the service will not run (a limit, or an operation type it does not serve):
 * `BAD_USER_INPUT`, HTTP 400, the limit and its figures in `extensions`. Apollo re-labels errors found
 * while validating as `GRAPHQL_VALIDATION_FAILED`; the error formatter (`client-error-format.ts`) puts
 * the code back by recognising this class.
 */
export class OperationRefusedError extends GraphQLError {
  constructor(message: string, details: RefusalDetails = {}, nodes?: readonly ASTNode[]) {
    super(message, { nodes, extensions: { code: ErrorCode.BAD_USER_INPUT, ...details, http: { status: 400 } } });
  }
}
