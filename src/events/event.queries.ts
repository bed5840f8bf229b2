/** The stream of events that belong to no organisation (users' sign-ins and profile changes). */
export const PLATFORM_STREAM = '00000000-0000-0000-0000-000000000000';

/**
 * Writes a transaction's events in one statement, whatever their number (a JSON array in `$1` of
 * `{ organisationId, type, subject, data }`):
 *
 * - numbers them per organisation (gap-free): one counter row per stream is incremented by the number of
 *   its events. That row stays locked until COMMIT, so transactions writing events of one organisation
 *   commit in the order of their numbers (a reader never sees 7 before 6) and a rollback gives its
 *   numbers back. Counters are taken in stream order, so two transactions cannot deadlock on them.
 * - queues a delivery for every enabled webhook endpoint subscribed to each event: the organisation's
 *   own endpoints and the platform-wide ones.
 */
export const INSERT_EVENTS = `
  WITH input AS (
    SELECT (item->>'organisationId')::uuid AS organisation_id,
           coalesce((item->>'organisationId')::uuid, '${PLATFORM_STREAM}'::uuid) AS stream,
           item->>'type' AS type, item->>'subject' AS subject, item->'data' AS data, ord
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(item, ord)
  ), streams AS (
    SELECT stream, count(*)::bigint AS n FROM input GROUP BY stream
  ), counters AS (
    INSERT INTO event_sequences AS s (stream, last_sequence)
    SELECT stream, n FROM streams ORDER BY stream
    ON CONFLICT (stream) DO UPDATE SET last_sequence = s.last_sequence + EXCLUDED.last_sequence
    RETURNING s.stream, s.last_sequence
  ), inserted AS (
    INSERT INTO events (organisation_id, sequence, type, subject, data)
    SELECT i.organisation_id, c.last_sequence - st.n + row_number() OVER (PARTITION BY i.stream ORDER BY i.ord), i.type, i.subject, i.data
    FROM input i JOIN streams st ON st.stream = i.stream JOIN counters c ON c.stream = i.stream
    ORDER BY i.ord
    RETURNING id, organisation_id, sequence, type
  ), deliveries AS (
    INSERT INTO webhook_deliveries (endpoint_id, event_id, organisation_id)
    SELECT w.id, e.id, w.organisation_id
    FROM inserted e JOIN webhook_endpoints w
      ON w.enabled
     AND (w.organisation_id = e.organisation_id OR w.organisation_id IS NULL)
     AND (cardinality(w.event_types) = 0 OR e.type = ANY (w.event_types))
    ORDER BY e.sequence, w.id
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM inserted)::int AS events, (SELECT count(*) FROM deliveries)::int AS deliveries`;

/** The columns an event is read with (`e`), its sequence as text (bigint). */
export const EVENT_COLUMNS = `e.id, e.organisation_id, e.sequence::text AS sequence, e.type, e.subject, e.data, e.time`;
