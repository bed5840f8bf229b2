import { QueryFailedError } from 'typeorm';
import { databaseFailure, isForeignKeyViolation, isRetryableTransactionFailure, uniqueViolation } from './postgres-errors';

const postgresError = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`postgres ${code}`), { code, ...extra });
const wrapped = (code: string, extra: Record<string, unknown> = {}) => new QueryFailedError('SELECT 1', [], postgresError(code, extra));
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111, syscall: 'connect' });

describe('database errors are classified by cause', () => {
  it.each([
    ['57P01 admin shutdown', wrapped('57P01')],
    ['57P02 crash shutdown', wrapped('57P02')],
    ['57P03 cannot connect now (starting up)', postgresError('57P03')],
    ['53300 too many connections', postgresError('53300')],
    ['08006 connection failure', wrapped('08006')],
    ['25P03 idle-in-transaction timeout', wrapped('25P03')],
    ['connection refused', socketError('ECONNREFUSED')],
    ['connection reset', socketError('ECONNRESET')],
    ['refused on every address', new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')])],
    ['a connection that died', new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly'))],
    ['no connection in time', new Error('timeout exceeded when trying to connect')],
    ['no connection in time (connect)', new Error('Connection terminated due to connection timeout')],
    ['no answer at all', new QueryFailedError('SELECT 1', [], new Error('Query read timeout'))],
  ])('%s: UNAVAILABLE', (_name, error) => expect(databaseFailure(error)).toBe('UNAVAILABLE'));

  it.each([
    ['57014 statement timeout', wrapped('57014')],
    ['55P03 lock timeout', wrapped('55P03')],
  ])('%s: TIMEOUT', (_name, error) => expect(databaseFailure(error)).toBe('TIMEOUT'));

  it.each([
    ['23505 unique violation', wrapped('23505', { constraint: 'roles_organisation_name_key' })],
    ['23503 foreign key violation', wrapped('23503')],
    ['40P01 deadlock', wrapped('40P01')],
    ['42P01 undefined table (a bug)', wrapped('42P01')],
    ['a plain bug', new TypeError('x is undefined')],
    ['not an error', 'oops'],
  ])('%s: not about availability', (_name, error) => expect(databaseFailure(error)).toBeUndefined());

  it('knows retryable failures, foreign-key and unique violations', () => {
    expect(isRetryableTransactionFailure(wrapped('40P01'))).toBe(true);
    expect(isRetryableTransactionFailure(wrapped('40001'))).toBe(true);
    expect(isRetryableTransactionFailure(wrapped('23505'))).toBe(false);
    expect(isForeignKeyViolation(wrapped('23503'))).toBe(true);
    expect(uniqueViolation(wrapped('23505', { constraint: 'teams_organisation_name_key' }))).toBe('teams_organisation_name_key');
    expect(uniqueViolation(wrapped('23503'))).toBeNull();
  });
});
