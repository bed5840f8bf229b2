import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { badInput } from '../errors';
import { isId } from '../ids';
import { onPrimary } from '../database/read-preference';
import { logger } from '../logger';

/** How a sort-key value is checked before it reaches SQL (and cast there). */
export type KeyKind = 'text' | 'timestamptz' | 'int' | 'uuid';

/** Longer than any cursor this service issues (a sort key may be a long display name), shorter than abuse. */
const MAX_CURSOR_LENGTH = 16_384;
const MAC_BYTES = 16;
const CURSOR_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/;
// Finite timestamps as the pagination SQL renders them (UTC, microseconds), or PostgreSQL's infinities.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z$/;
const INFINITY = /^-?infinity$/;
const INT = /^-?\d{1,10}$/;
const INT4_MAX = 2 ** 31 - 1;

/** The channel a change of `service_keys` is announced on (trigger of migration ScaleOut). */
export const SERVICE_KEYS_CHANNEL = 'service_keys';

/**
 * The key the cursors are authenticated with: one row written by the CursorKey migration. Read on the
 * primary: a replica may not have replayed a rotation yet.
 */
async function readKey(dataSource: DataSource): Promise<Buffer> {
  const rows: { key: Buffer }[] = await onPrimary(() => dataSource.query(`SELECT key FROM service_keys WHERE name = 'cursor-hmac'`));
  if (rows.length === 0) throw new Error('no cursor key in service_keys: run the migrations');
  return rows[0].key;
}

/**
 * Opaque, authenticated cursors: `base64url(JSON of the sort-key values) . base64url(HMAC)`, the HMAC
 * (SHA-256, 128 bits kept) taken over the list's scope and the values under a key kept in the database,
 * so every instance of the service issues and accepts the same cursors, across restarts and rotations
 * (each instance reloads it when the database announces a change: {@link reload}). A cursor
 * parses only if this service issued it for this very list (organisation, order, filter): anything
 * else is BAD_USER_INPUT before any SQL runs.
 */
export class CursorCodec {
  private key: Buffer | null = null;
  private loading: Promise<Buffer> | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /** Reads the key now (at start), so no request pays for it; a failure is retried on first use. */
  preload(): void {
    this.ready().catch((error) => logger.warn({ err: error }, 'cursor key not readable yet; retried on first use'));
  }

  /** Resolves once the key is known (immediately after the first time). */
  async ready(): Promise<void> {
    if (this.key) return;
    this.loading ??= readKey(this.dataSource).then(
      (key) => (this.key = key),
      (error) => {
        this.loading = null;
        throw error;
      },
    );
    await this.loading;
  }

  /**
   * Reads the key again (it was rotated, or a change may have been missed): the key in use is kept until
   * the new one is read, so requests in flight never find none.
   */
  reload(): void {
    readKey(this.dataSource).then(
      (key) => {
        if (this.key && !this.key.equals(key)) logger.info('cursor key changed: cursors issued before are refused');
        this.key = key;
      },
      (error) => logger.warn({ err: error }, 'cursor key not re-read; retried at the next change or reconnection'),
    );
  }

  /** A cursor for these sort-key values (as text) in the list `scope`. Call after {@link ready}. */
  encode(scope: string, values: readonly string[]): string {
    const payload = Buffer.from(JSON.stringify(values)).toString('base64url');
    return `${payload}.${this.mac(scope, payload).toString('base64url')}`;
  }

  /**
   * The sort-key values of `cursor`, checked three times: its shape, its HMAC for `scope`, then each
   * value against its column's kind. Call after {@link ready}.
   */
  decode(cursor: string, scope: string, kinds: readonly KeyKind[], argument: string): string[] {
    if (cursor.length > MAX_CURSOR_LENGTH || !CURSOR_SHAPE.test(cursor)) throw malformed(argument);
    const [payload, mac] = cursor.split('.');
    const expected = this.mac(scope, payload);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw badInput(`"${argument}" is not a cursor of this list: cursors work only with the list (organisation, order and filter) they came from`, {
        argument,
      });
    }
    let values: unknown;
    try {
      values = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw malformed(argument);
    }
    if (!Array.isArray(values) || values.length !== kinds.length || !values.every((value, index) => validValue(value, kinds[index]))) {
      throw malformed(argument);
    }
    return values as string[];
  }

  private mac(scope: string, payload: string): Buffer {
    if (!this.key) throw new Error('cursor key not loaded: await ready() first');
    return createHmac('sha256', this.key).update(scope).update('\n').update(payload).digest().subarray(0, MAC_BYTES);
  }
}

function malformed(argument: string) {
  return badInput(`"${argument}" is not a valid cursor`, { argument });
}

function validValue(value: unknown, kind: KeyKind): boolean {
  if (typeof value !== 'string' || value.includes('\u0000')) return false;
  switch (kind) {
    case 'text':
      return true;
    case 'uuid':
      return isId(value);
    case 'int':
      return INT.test(value) && Math.abs(Number(value)) <= INT4_MAX;
    case 'timestamptz':
      return INFINITY.test(value) || validTimestamp(value);
  }
}

/** A real instant: every field in range (PostgreSQL refuses month 13 or hour 25 with an error). */
function validTimestamp(value: string): boolean {
  const match = TIMESTAMP.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
}
