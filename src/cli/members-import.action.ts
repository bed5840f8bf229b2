import fs from 'node:fs';
import type { MemberCsvRow } from '../memberships/import/member-csv.parser';
import type { ImportMembersPayload } from '../memberships/import/member-import.type';
import { CliFailure } from './cli-errors';
import { organisationBySlug, withRuntime, type CliRuntime } from './cli-runtime';
import { ImportProgress } from './import-progress';
import { batchesOf, mergeReports, readImportFile, type ImportBatch, type ImportReport } from './member-import-batches';

export interface ImportOptions {
  organisation: string;
  dryRun?: boolean;
  json?: boolean;
  progress?: boolean;
}

/** Reads, checks and imports the file (see the `members import` command), printing the per-row report. */
export async function importMembersFile(file: string, options: ImportOptions): Promise<void> {
  const rows = readImportFile(readText(file));
  const progress = new ImportProgress(options.progress === true || process.stderr.isTTY === true);
  let report: ImportReport;
  try {
    report = await withRuntime(options.dryRun ? 'members-import-dry-run' : 'members-import', (runtime) => importRows(runtime, rows, options, progress));
  } finally {
    progress.stop();
  }
  printReport(report, options.json === true);
  if (report.failed) throw new CliFailure(`nothing imported: ${report.rows.filter((row) => row.errors.length > 0).length} row(s) have errors (see the report)`);
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliFailure(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

async function importRows(runtime: CliRuntime, rows: MemberCsvRow[], options: ImportOptions, progress: ImportProgress): Promise<ImportReport> {
  const organisation = await organisationBySlug(runtime, options.organisation);
  const batches = batchesOf(rows);
  const send = async (batch: ImportBatch, dryRun: boolean) => {
    const answer = await runtime.services.memberImport.import(runtime.ctx, { organisationId: organisation.id, csv: batch.csv, dryRun });
    progress.advance(batch.lines.length);
    return answer;
  };
  const clean = rows.every((row) => row.errors.length === 0);
  // One batch and nothing wrong in the file: one call, one transaction, exactly the API's import.
  if (!options.dryRun && clean && batches.length === 1) {
    progress.start('importing', rows.length);
    return mergeReports(rows, batches, [await send(batches[0], false)], false);
  }
  progress.start('checking', batches.reduce((total, batch) => total + batch.lines.length, 0));
  const checks: ImportMembersPayload[] = [];
  for (const batch of batches) checks.push(await send(batch, true));
  const checked = mergeReports(rows, batches, checks, options.dryRun === true);
  if (checked.failed || options.dryRun) return checked;

  progress.start('importing', rows.length);
  const answers: ImportMembersPayload[] = [];
  for (const [index, batch] of batches.entries()) {
    const answer = await send(batch, false);
    answers.push(answer);
    if (answer.rows.some((row) => row.errors.length > 0)) {
      progress.stop();
      printReport(mergeReports(rows, batches.slice(0, index + 1), answers, false), false);
      throw new CliFailure(
        `batch ${index + 1} of ${batches.length} (lines ${batch.lines[0]}–${batch.lines[batch.lines.length - 1]}) was refused: the organisation changed since the check. ` +
          `${index === 0 ? 'Nothing was imported' : `Batches 1–${index} (up to line ${batches[index - 1].lines.at(-1)}) were imported`}; run the command again to import the rest.`,
      );
    }
  }
  return mergeReports(rows, batches, answers, false);
}

function printReport(report: ImportReport, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const out: string[] = report.rows.map((row) => `line ${row.line}\t${row.email}\t${row.status}${row.errors.length ? `\t${row.errors.join('; ')}` : ''}`);
  const unchanged = report.rows.filter((row) => row.status === 'UNCHANGED').length;
  if (report.failed) out.push(`${report.dryRun ? 'dry run: ' : ''}nothing ${report.dryRun ? 'would be' : 'was'} imported; ${report.rows.filter((row) => row.errors.length).length} row(s) with errors`);
  else out.push(`${report.dryRun ? 'dry run, nothing written: would create' : 'created'} ${report.created}, ${report.dryRun ? 'update' : 'updated'} ${report.updated}, unchanged ${unchanged}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
