import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What running many instances over a primary and read replicas needs (README "Scaling out"):
 *
 * - `user_write_positions`: each user's last write, as the primary's WAL position right after its
 *   commit. Read once per query request on the primary to decide whether a replica has replayed the
 *   caller's own writes yet (read-your-writes across instances). UNLOGGED: it writes no WAL (so recording
 *   a position costs no extra flush), is not replicated (only the primary reads it) and is emptied by a
 *   crash, which loses at most the routing of the moments before it.
 * - a NOTIFY on `service_keys` changes: every instance reloads the cursor key when it is rotated.
 */
export class ScaleOut1764800000001 implements MigrationInterface {
  name = 'ScaleOut1764800000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE UNLOGGED TABLE user_write_positions (
        user_id uuid PRIMARY KEY,
        lsn pg_lsn NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE FUNCTION service_keys_notify() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('service_keys', COALESCE(NEW.name, OLD.name));
         RETURN NULL;
       END $$`,
      `CREATE TRIGGER service_keys_notify AFTER INSERT OR UPDATE OR DELETE ON service_keys
         FOR EACH ROW EXECUTE FUNCTION service_keys_notify()`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER service_keys_notify ON service_keys');
    await queryRunner.query('DROP FUNCTION service_keys_notify()');
    await queryRunner.query('DROP TABLE user_write_positions');
  }
}
