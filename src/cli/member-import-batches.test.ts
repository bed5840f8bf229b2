import { parseMemberCsv } from '../memberships/import/member-csv.parser';
import { ImportRowStatus, type ImportMembersPayload } from '../memberships/import/member-import.type';
import { batchesOf, mergeReports, readImportFile } from './member-import-batches';

const file = (rows: string[]) => `email,name,initial_roles,teams\n${rows.join('\n')}\n`;

/** What the API answers for a batch when every row goes through. */
const created = (csv: string): ImportMembersPayload => {
  const rows = parseMemberCsv(csv);
  return { dryRun: true, created: rows.length, updated: 0, rows: rows.map((row) => ({ organisationId: 'o', line: row.line, email: row.email, status: ImportRowStatus.CREATED, errors: [] })) };
};

describe('batchesOf', () => {
  it('cuts the good rows into API-sized batches that parse back to the same people, remembering file lines', () => {
    const rows = readImportFile(file(['a@x.io,"Doe, Ann","Admin,Viewer","Team ""A"",B"', 'b@x.io,"Two\nLines",Member,', 'c@x.io,C,,', 'd@x.io,D,Member,Ops', 'e@x.io,E,Member,']));
    const batches = batchesOf(rows, { maxBytes: 10_000, maxRows: 2 });
    expect(batches.map((batch) => batch.lines)).toEqual([[2, 3], [5, 6], [7]]);
    const reparsed = batches.flatMap((batch) => parseMemberCsv(batch.csv));
    expect(reparsed.map(({ email, name, roleNames, teamNames, errors }) => ({ email, name, roleNames, teamNames, errors }))).toEqual(
      rows.map(({ email, name, roleNames, teamNames }) => ({ email, name, roleNames, teamNames, errors: [] })),
    );
  });

  it('keeps every batch under the byte limit, and leaves out rows with problems of their own', () => {
    const rows = readImportFile(file([...Array.from({ length: 30 }, (_, index) => `p${index}@x.io,${'n'.repeat(50)},Member,`), 'not-an-email,X,Member,', 'p0@x.io,Again,Member,']));
    const batches = batchesOf(rows, { maxBytes: 400, maxRows: 1000 });
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) expect(Buffer.byteLength(batch.csv)).toBeLessThanOrEqual(400);
    expect(batches.flatMap((batch) => batch.lines)).toEqual(Array.from({ length: 30 }, (_, index) => index + 2));
  });
});

describe('mergeReports', () => {
  const rows = readImportFile(file(['a@x.io,A,Member,', 'b@x.io,B,Member,', 'c@x.io,C,Member,']));

  it('answers in file order with the counts of every batch', () => {
    const batches = batchesOf(rows, { maxBytes: 10_000, maxRows: 2 });
    const report = mergeReports(rows, batches, batches.map((batch) => created(batch.csv)), false);
    expect(report).toMatchObject({ failed: false, created: 3, updated: 0, dryRun: false });
    expect(report.rows.map((row) => [row.line, row.status])).toEqual([[2, 'CREATED'], [3, 'CREATED'], [4, 'CREATED']]);
  });

  it('fails the whole file on one error in any batch or in the file: errors stay, good rows are SKIPPED, counts 0', () => {
    const withBad = readImportFile(file(['a@x.io,A,Member,', 'bad,B,Member,', 'c@x.io,C,Nope,', 'a@x.io,Again,Member,']));
    const batches = batchesOf(withBad, { maxBytes: 10_000, maxRows: 1 });
    const answers = batches.map((batch) => created(batch.csv));
    answers[1].rows[0] = { ...answers[1].rows[0], status: ImportRowStatus.ERROR, errors: ['Unknown role "Nope"'] };
    const report = mergeReports(withBad, batches, answers, true);
    expect(report).toMatchObject({ failed: true, created: 0, updated: 0 });
    expect(report.rows.map((row) => [row.line, row.status, row.errors])).toEqual([
      [2, 'SKIPPED', []],
      [3, 'ERROR', ['"bad" is not an email address']],
      [4, 'ERROR', ['Unknown role "Nope"']],
      [5, 'ERROR', ['a@x.io is already on line 2']],
    ]);
  });
});
