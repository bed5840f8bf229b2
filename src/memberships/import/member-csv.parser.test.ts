import { AppError } from '../../core/errors';
import { CsvRefusal, nameList, parseMemberCsv, type MemberCsvRow } from './member-csv.parser';

/** The refusal reason of a CSV that cannot be read as a whole. */
function refusal(csv: string, limits?: { maxBytes: number; maxRows: number }): { code: unknown; reason: unknown; message: string } {
  try {
    parseMemberCsv(csv, limits);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { code: error.extensions.code, reason: error.extensions.reason, message: error.message };
  }
  throw new Error('expected the CSV to be refused');
}

const brief = (rows: MemberCsvRow[]) => rows.map(({ line, email, name, roleNames, teamNames, errors }) => ({ line, email, name, roleNames, teamNames, errors }));

describe('parseMemberCsv', () => {
  it("reads seed 002's format: quoted, comma-separated role names", () => {
    const rows = parseMemberCsv('email,name,initial_roles\njohn.doe@company.com,John Doe,"StandardUser,AgentUser"\njane.smith@company.com,Jane Smith,StandardUser\n');
    expect(brief(rows)).toEqual([
      { line: 2, email: 'john.doe@company.com', name: 'John Doe', roleNames: ['StandardUser', 'AgentUser'], teamNames: [], errors: [] },
      { line: 3, email: 'jane.smith@company.com', name: 'Jane Smith', roleNames: ['StandardUser'], teamNames: [], errors: [] },
    ]);
  });

  it('reads the optional teams column, and a row may leave it off', () => {
    const rows = parseMemberCsv('Email, Name ,INITIAL_ROLES,Teams\na@x.io,A,Admin,"Platform, Data"\nb@x.io,B,Member\n');
    expect(rows.map((row) => [row.teamNames, row.errors])).toEqual([[['Platform', 'Data'], []], [[], []]]);
  });

  it('normalises emails and trims names and lists, dropping blanks and repeats (case-insensitively)', () => {
    const [row] = parseMemberCsv('email,name,initial_roles\n  John.Doe@Company.COM ,  John  Doe ," Admin ,, admin,Viewer "\n');
    expect(row).toMatchObject({ email: 'john.doe@company.com', emailValid: true, name: 'John  Doe', roleNames: ['Admin', 'Viewer'] });
  });

  it('handles a byte-order mark, CRLF and CR line ends', () => {
    const crlf = parseMemberCsv('\uFEFFemail,name,initial_roles\r\na@x.io,A,"R1,R2"\r\n\r\nb@x.io,B,R1\r\n');
    expect(crlf.map((row) => [row.line, row.email, row.roleNames])).toEqual([[2, 'a@x.io', ['R1', 'R2']], [4, 'b@x.io', ['R1']]]);
    const cr = parseMemberCsv('email,name,initial_roles\ra@x.io,A,R1\r');
    expect(cr.map((row) => row.line)).toEqual([2]);
  });

  it('numbers rows by the line they start on, across blank lines and quoted line breaks', () => {
    const csv = 'email,name,initial_roles\n\na@x.io,"Two\r\nLines",R\n,,\n   \nb@x.io,B,R\n';
    expect(parseMemberCsv(csv).map((row) => row.line)).toEqual([3, 7]);
  });

  it('tolerates spaces around quoted fields', () => {
    const [row] = parseMemberCsv('email,name,initial_roles\na@x.io , "Doe, Jane" , "R1, R2"\n');
    expect(row).toMatchObject({ name: 'Doe, Jane', roleNames: ['R1', 'R2'], errors: [] });
  });

  it('reports row problems on the row: email, name, field count', () => {
    const rows = parseMemberCsv('email,name,initial_roles\nnot-an-email,X,R\n,Y,R\nc@x.io,,R\nd@x.io,D\ne@x.io,E,R,extra\n');
    expect(rows.map((row) => [row.line, row.email, row.errors])).toEqual([
      [2, 'not-an-email', ['"not-an-email" is not an email address']],
      [3, '', ['email is missing']],
      [4, 'c@x.io', ['name is missing']],
      [5, 'd@x.io', ['Expected 3 fields (email,name,initial_roles), found 2']],
      [6, 'e@x.io', ['Expected 3 fields (email,name,initial_roles), found 4']],
    ]);
    const long = parseMemberCsv(`email,name,initial_roles\na@x.io,${'n'.repeat(201)},R\n`);
    expect(long[0].errors).toEqual(['name is longer than 200 characters']);
  });

  it('reports a repeated email on the later rows, naming the first', () => {
    const rows = parseMemberCsv('email,name,initial_roles\na@x.io,A,R\nb@x.io,B,R\nA@X.IO,A again,R\na@x.io,A thrice,R\n');
    expect(rows.map((row) => row.errors)).toEqual([[], [], ['a@x.io is already on line 2'], ['a@x.io is already on line 2']]);
  });

  it('refuses a missing or wrong header', () => {
    expect(refusal('')).toMatchObject({ code: 'BAD_USER_INPUT', reason: CsvRefusal.CSV_BAD_HEADER });
    expect(refusal('\uFEFF\r\n')).toMatchObject({ reason: CsvRefusal.CSV_BAD_HEADER });
    expect(refusal('a@x.io,A,Admin\n')).toMatchObject({ reason: CsvRefusal.CSV_BAD_HEADER });
    expect(refusal('email,name\na@x.io,A\n')).toMatchObject({ reason: CsvRefusal.CSV_BAD_HEADER });
    expect(refusal('email,name,roles\na@x.io,A,R\n')).toMatchObject({ reason: CsvRefusal.CSV_BAD_HEADER });
    expect(refusal('name,email,initial_roles\nA,a@x.io,R\n')).toMatchObject({ reason: CsvRefusal.CSV_BAD_HEADER });
    expect(refusal('email,name,initial_roles,groups\na@x.io,A,R,G\n')).toMatchObject({ reason: CsvRefusal.CSV_BAD_HEADER });
    expect(refusal('email;name;initial_roles\na@x.io;A;R\n')).toMatchObject({ reason: CsvRefusal.CSV_BAD_HEADER });
  });

  it('refuses a file without rows', () => {
    expect(refusal('email,name,initial_roles\n\n')).toMatchObject({ code: 'BAD_USER_INPUT', reason: CsvRefusal.CSV_NO_ROWS });
  });

  it('refuses unparseable CSV, naming the line', () => {
    const unclosed = refusal('email,name,initial_roles\na@x.io,A,"R1,R2\nb@x.io,B,R\n');
    expect(unclosed).toMatchObject({ code: 'BAD_USER_INPUT', reason: CsvRefusal.CSV_MALFORMED });
    const strayQuote = refusal('email,name,initial_roles\na@x.io,Jo"hn,R\n');
    expect(strayQuote).toMatchObject({ reason: CsvRefusal.CSV_MALFORMED });
    expect(strayQuote.message).toContain('line 2');
  });

  it('refuses files beyond the size and row limits', () => {
    const rows = (count: number) => `email,name,initial_roles\n${Array.from({ length: count }, (_, index) => `u${index}@x.io,U,R`).join('\n')}\n`;
    expect(refusal(rows(4), { maxBytes: 1000, maxRows: 3 })).toMatchObject({ reason: CsvRefusal.CSV_TOO_MANY_ROWS });
    expect(parseMemberCsv(rows(3), { maxBytes: 1000, maxRows: 3 })).toHaveLength(3);
    expect(refusal(rows(100), { maxBytes: 1000, maxRows: 5000 })).toMatchObject({ reason: CsvRefusal.CSV_TOO_LARGE });
    // Bytes, not characters: 'é' is two bytes in UTF-8.
    const accented = `email,name,initial_roles\na@x.io,${'é'.repeat(300)},R\n`;
    expect(accented.length).toBeLessThan(700);
    expect(refusal(accented, { maxBytes: 600, maxRows: 10 })).toMatchObject({ reason: CsvRefusal.CSV_TOO_LARGE });
  });
});

describe('nameList', () => {
  it('splits, trims, drops blanks and keeps the first spelling of a repeated name', () => {
    expect(nameList('')).toEqual([]);
    expect(nameList(' , ,')).toEqual([]);
    expect(nameList('Agent User, agent user ,Standard')).toEqual(['Agent User', 'Standard']);
  });
});
