import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, formatGraphQLError } from '../errors';
import type { DocumentLimits } from './query-limits';
import { OperationRefusedError } from './operation-refused-error';

type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/**
 * Apollo's `formatError`: every refusal of a limit answers BAD_USER_INPUT with its figures (whatever
 * step found it), then {@link formatGraphQLError} (known codes pass, the rest is masked); in
 * production, no "Did you mean …?" suggestions, which would reveal the schema field by field.
 */
export function clientErrorFormatter(options: { production: boolean; limits: DocumentLimits }): ErrorFormatter {
  return (formatted, error) => {
    const shown = formatGraphQLError(asRefusal(formatted, error, options.limits), error);
    return options.production ? withoutSuggestions(shown) : shown;
  };
}

function asRefusal(formatted: GraphQLFormattedError, error: unknown, limits: DocumentLimits): GraphQLFormattedError {
  const extensions = formatted.extensions ?? {};
  // Found while validating: Apollo wrapped our error and labelled it GRAPHQL_VALIDATION_FAILED.
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof OperationRefusedError) return { ...formatted, extensions: { ...extensions, code: ErrorCode.BAD_USER_INPUT } };
  // Apollo's maxRecursiveSelections (MAX_QUERY_NODES), which reports no figures.
  if (extensions.validationErrorCode === 'MAX_RECURSIVE_SELECTIONS_EXCEEDED') {
    const maximum = limits.MAX_QUERY_NODES;
    return refused(formatted, `Query selects too much: more than ${maximum} fields and fragments, counted with fragments expanded`, { limit: 'MAX_QUERY_NODES', maximum });
  }
  // graphql-js's parser past `maxLexicalTokens` (MAX_QUERY_TOKENS); its message reads "more that N tokens".
  if (extensions.code === 'GRAPHQL_PARSE_FAILED' && /Document contains more th(?:an|at) \d+ tokens/.test(formatted.message)) {
    const maximum = limits.MAX_QUERY_TOKENS;
    return refused(formatted, `Query is too long: more than ${maximum} tokens`, { limit: 'MAX_QUERY_TOKENS', maximum });
  }
  return formatted;
}

function refused(formatted: GraphQLFormattedError, message: string, figures: Record<string, unknown>): GraphQLFormattedError {
  return { message, locations: formatted.locations, extensions: { code: ErrorCode.BAD_USER_INPUT, ...figures } };
}

/** graphql-js appends suggestions as one sentence: " Did you mean …?" (fields, arguments, types, enum values). */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

function withoutSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return formatted.message.includes('Did you mean') ? { ...formatted, message: formatted.message.replace(SUGGESTION, '') } : formatted;
}
