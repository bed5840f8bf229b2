import { MAX_CSV_BYTES, MAX_CSV_ROWS, parseMemberCsv, type CsvLimits, type MemberCsvRow } from '../memberships/import/member-csv.parser';
import { ImportRowStatus, type ImportMembersPayload } from '../memberships/import/member-import.type';

/** What the CLI reads at once: far beyond one API call (MAX_CSV_ROWS), still bounded. */
export const FILE_LIMITS: CsvLimits = { maxBytes: 200 * 1024 * 1024, maxRows: 1_000_000 };

const HEADER = 'email,name,initial_roles,teams\n';

/** One API-sized part of a file: CSV text `importMembers` accepts, and the file line of each of its rows. */
export interface ImportBatch {
  csv: string;
  lines: number[];
}

export interface ReportRow {
  line: number;
  email: string;
  status: ImportRowStatus;
  errors: string[];
}

/** The report of a whole file, in the shape of `importMembers`' answer. */
export interface ImportReport {
  dryRun: boolean;
  /** True when a row has errors: then nothing is (or would be) written. */
  failed: boolean;
  created: number;
  updated: number;
  rows: ReportRow[];
}

/** Reads the whole file with the API's parser: the file's own problems per row, repeated emails across the whole file. */
export function readImportFile(text: string): MemberCsvRow[] {
  return parseMemberCsv(text, FILE_LIMITS);
}

const quoted = (field: string) => `"${field.replace(/"/g, '""')}"`;
const csvLine = (row: MemberCsvRow) => `${[row.email, row.name, row.roleNames.join(','), row.teamNames.join(',')].map(quoted).join(',')}\n`;

/**
 * The rows without problems of their own, cut into batches the API accepts (at most MAX_CSV_ROWS rows and
 * MAX_CSV_BYTES bytes each). A repeated email is an error of the file, so no person is in two batches:
 * each batch's answer holds whatever the others do.
 */
export function batchesOf(rows: readonly MemberCsvRow[], limits: CsvLimits = { maxBytes: MAX_CSV_BYTES, maxRows: MAX_CSV_ROWS }): ImportBatch[] {
  const batches: ImportBatch[] = [];
  let lines: string[] = [];
  let numbers: number[] = [];
  let bytes = Buffer.byteLength(HEADER);
  const flush = () => {
    if (lines.length > 0) batches.push({ csv: HEADER + lines.join(''), lines: numbers });
    lines = [];
    numbers = [];
    bytes = Buffer.byteLength(HEADER);
  };
  for (const row of rows) {
    if (row.errors.length > 0) continue;
    const line = csvLine(row);
    const size = Buffer.byteLength(line);
    if (lines.length === limits.maxRows || bytes + size > limits.maxBytes) flush();
    lines.push(line);
    numbers.push(row.line);
    bytes += size;
  }
  flush();
  return batches;
}

/**
 * One report for the file, in file order: each row's own problems and the answer of its batch. As with
 * `importMembers`, any error fails the whole file: good rows are SKIPPED and the counts are 0.
 */
export function mergeReports(rows: readonly MemberCsvRow[], batches: readonly ImportBatch[], answers: readonly ImportMembersPayload[], dryRun: boolean): ImportReport {
  const answered = new Map<number, { status: ImportRowStatus; errors: string[] }>();
  answers.forEach((answer, index) => {
    answer.rows.forEach((row, position) => answered.set(batches[index].lines[position], row));
  });
  const merged = rows.map((row) => {
    const answer = answered.get(row.line);
    return { line: row.line, email: row.email, errors: [...row.errors, ...(answer?.errors ?? [])], status: answer?.status ?? ImportRowStatus.SKIPPED };
  });
  const failed = merged.some((row) => row.errors.length > 0);
  if (failed) {
    return { dryRun, failed, created: 0, updated: 0, rows: merged.map((row) => ({ ...row, status: row.errors.length > 0 ? ImportRowStatus.ERROR : ImportRowStatus.SKIPPED })) };
  }
  const count = (status: ImportRowStatus) => merged.filter((row) => row.status === status).length;
  return { dryRun, failed, created: count(ImportRowStatus.CREATED), updated: count(ImportRowStatus.UPDATED), rows: merged };
}
