import { isEmail } from 'class-validator';
import { CsvError, parse } from 'csv-parse/sync';
import { grantExpiryInput } from '../../access/grant-expiry';
import { badInput } from '../../core/errors';

/** Bounds of one import (DESIGN.md §6: CSV size bounded). The byte bound stays below MAX_BODY_BYTES' default. */
export const MAX_CSV_BYTES = 512 * 1024;
export const MAX_CSV_ROWS = 5000;
export const MAX_NAME_LENGTH = 200;
const MAX_EMAIL_LENGTH = 320;

const REQUIRED_COLUMNS = ['email', 'name', 'initial_roles'] as const;
const HEADER_TEXT = 'email,name,initial_roles[,teams][,expires_at]';
/** Columns that may follow the required ones, each at most once, in any order. */
const OPTIONAL_COLUMNS = ['teams', 'expires_at'] as const;
type OptionalColumn = (typeof OPTIONAL_COLUMNS)[number];

/** Why a whole CSV was refused, in `extensions.reason` beside BAD_USER_INPUT. */
export enum CsvRefusal {
  CSV_TOO_LARGE = 'CSV_TOO_LARGE',
  CSV_TOO_MANY_ROWS = 'CSV_TOO_MANY_ROWS',
  CSV_MALFORMED = 'CSV_MALFORMED',
  CSV_BAD_HEADER = 'CSV_BAD_HEADER',
  CSV_NO_ROWS = 'CSV_NO_ROWS',
}

/** One member row as the file states it, with the problems visible in the file alone. */
export interface MemberCsvRow {
  /** The line the record starts on; the header is line 1. */
  line: number;
  /** Trimmed and lower-cased when it is an address; else as written (trimmed). */
  email: string;
  emailValid: boolean;
  name: string;
  /** Trimmed, blanks dropped, distinct case-insensitively, in the file's order. */
  roleNames: string[];
  teamNames: string[];
  /** expires_at (ISO 8601): the row's roles and team places end then; null: permanent. */
  expiresAt: Date | null;
  errors: string[];
}

export interface CsvLimits {
  maxBytes: number;
  maxRows: number;
}

const DEFAULT_LIMITS: CsvLimits = { maxBytes: MAX_CSV_BYTES, maxRows: MAX_CSV_ROWS };

/**
 * Reads an import file (`email,name,initial_roles[,teams]`, seed 002's format; roles and teams
 * comma-separated inside quotes). A file that cannot be read as a whole (too large, too many rows,
 * unparseable, wrong header, no rows) is BAD_USER_INPUT; a bad row is reported in its `errors`.
 */
export function parseMemberCsv(csv: string, limits: CsvLimits = DEFAULT_LIMITS): MemberCsvRow[] {
  if (Buffer.byteLength(csv, 'utf8') > limits.maxBytes) {
    throw badInput(`The CSV is larger than ${limits.maxBytes} bytes`, { field: 'csv', reason: CsvRefusal.CSV_TOO_LARGE, maxBytes: limits.maxBytes });
  }
  const [header, ...records] = readRecords(csv).filter((record) => record.fields.some((field) => field !== ''));
  const columns = headerColumns(header?.fields);
  const now = Date.now();
  if (records.length === 0) throw badInput('The CSV holds no member rows', { field: 'csv', reason: CsvRefusal.CSV_NO_ROWS });
  if (records.length > limits.maxRows) {
    throw badInput(`The CSV holds ${records.length} rows; at most ${limits.maxRows} are imported at once`, { field: 'csv', reason: CsvRefusal.CSV_TOO_MANY_ROWS, maxRows: limits.maxRows });
  }
  return markDuplicates(records.map((record) => memberRow(record, columns, now)));
}

interface CsvRecord {
  line: number;
  fields: string[];
}

function readRecords(csv: string): CsvRecord[] {
  // One line-end convention before parsing: csv-parse miscounts lines when CRLF sits inside a quoted field.
  const text = csv.replace(/\r\n?/g, '\n');
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    // With `info`, each record comes as { record, info } (the typings do not follow the option).
    parsed = parse(text, { bom: true, info: true, trim: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof parsed;
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = (error as CsvError & { lines?: number }).lines;
    throw badInput(`The CSV cannot be read: ${error.message}`, { field: 'csv', reason: CsvRefusal.CSV_MALFORMED, line });
  }
  // info.lines is where a record ends; a quoted field may span lines.
  return parsed.map(({ record, info }) => ({ line: info.lines - newlinesIn(record), fields: record }));
}

function newlinesIn(fields: string[]): number {
  return fields.reduce((count, field) => count + (field.match(/\n/g)?.length ?? 0), 0);
}

/** The header's columns: the three required ones, then `teams` and/or `expires_at` (each at most once). */
interface Columns {
  names: string[];
  index: Partial<Record<OptionalColumn, number>>;
}

function headerColumns(fields: string[] | undefined): Columns {
  const names = (fields ?? []).map((field) => field.trim().toLowerCase());
  const optional = names.slice(REQUIRED_COLUMNS.length);
  const matches =
    names.length >= 3 &&
    REQUIRED_COLUMNS.every((column, index) => names[index] === column) &&
    optional.every((name) => (OPTIONAL_COLUMNS as readonly string[]).includes(name)) &&
    new Set(optional).size === optional.length;
  if (!matches) {
    const found = fields ? `; found "${fields.join(',')}"` : '; the CSV is empty';
    throw badInput(`The first line must be the header ${HEADER_TEXT}${found}`, { field: 'csv', reason: CsvRefusal.CSV_BAD_HEADER });
  }
  const index: Columns['index'] = {};
  optional.forEach((name, position) => {
    index[name as OptionalColumn] = REQUIRED_COLUMNS.length + position;
  });
  return { names, index };
}

function fieldCountError(columns: Columns, found: number): string {
  if (columns.names.length === 3) return `Expected 3 fields (email,name,initial_roles), found ${found}`;
  if (columns.names.length === 4 && columns.index.teams === 3) return `Expected 3 or 4 fields (email,name,initial_roles,teams), found ${found}`;
  return `Expected 3 to ${columns.names.length} fields (${columns.names.join(',')}), found ${found}`;
}

function memberRow(record: CsvRecord, columns: Columns, now: number): MemberCsvRow {
  const [rawEmail = '', rawName = '', rawRoles = ''] = record.fields;
  const optional = (column: OptionalColumn) => (columns.index[column] === undefined ? '' : (record.fields[columns.index[column] as number] ?? ''));
  const errors: string[] = [];
  // Trailing optional columns may be left off a row; anything else must match the header.
  if (record.fields.length < REQUIRED_COLUMNS.length || record.fields.length > columns.names.length) {
    errors.push(fieldCountError(columns, record.fields.length));
  }
  const email = readEmail(rawEmail.trim(), errors);
  const name = rawName.trim();
  if (name === '') errors.push('name is missing');
  else if (name.length > MAX_NAME_LENGTH) errors.push(`name is longer than ${MAX_NAME_LENGTH} characters`);
  const expiresAt = readExpiry(optional('expires_at').trim(), now, errors);
  return { line: record.line, email: email.value, emailValid: email.valid, name, roleNames: nameList(rawRoles), teamNames: nameList(optional('teams')), expiresAt, errors };
}

/** expires_at: empty for permanent grants, else an ISO 8601 instant in the future. */
function readExpiry(raw: string, now: number, errors: string[]): Date | null {
  if (raw === '') return null;
  try {
    return grantExpiryInput(raw, 'expires_at', now);
  } catch (error) {
    errors.push(`expires_at "${raw.slice(0, 40)}": ${(error as Error).message.replace(/^expires_at /, '')}`);
    return null;
  }
}

function readEmail(raw: string, errors: string[]): { value: string; valid: boolean } {
  if (raw === '') {
    errors.push('email is missing');
    return { value: raw, valid: false };
  }
  const email = raw.toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH || !isEmail(email)) {
    errors.push(`"${raw}" is not an email address`);
    return { value: raw, valid: false };
  }
  return { value: email, valid: true };
}

/** `"StandardUser, AgentUser"` → ['StandardUser', 'AgentUser']; names compare case-insensitively. */
export function nameList(field: string): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const name of field.split(',').map((part) => part.trim())) {
    const key = name.toLowerCase();
    if (name === '' || seen.has(key)) continue;
    seen.add(key);
    names.push(name);
  }
  return names;
}

/** The same person twice in one file: the later row is the error (the first one stands). */
function markDuplicates(rows: MemberCsvRow[]): MemberCsvRow[] {
  const firstLine = new Map<string, number>();
  for (const row of rows) {
    if (!row.emailValid) continue;
    const first = firstLine.get(row.email);
    if (first === undefined) firstLine.set(row.email, row.line);
    else row.errors.push(`${row.email} is already on line ${first}`);
  }
  return rows;
}
