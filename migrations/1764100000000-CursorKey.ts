import { randomBytes } from 'node:crypto';
import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The key that authenticates pagination cursors (HMAC-SHA256), generated once here and kept in the
 * database: every instance of the service reads the same key, and it survives restarts and deploys
 * without configuration. Rotating it (UPDATE the row, restart) only invalidates cursors in flight.
 */
export class CursorKey1764100000000 implements MigrationInterface {
  name = 'CursorKey1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE service_keys (
      name text PRIMARY KEY,
      key bytea NOT NULL CHECK (length(key) >= 32),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`INSERT INTO service_keys (name, key) VALUES ('cursor-hmac', $1)`, [randomBytes(32)]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE service_keys');
  }
}
