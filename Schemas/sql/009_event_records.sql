-- Each event exactly as the log stores it: the record's payload bytes (EventCodec's binary encoding,
-- Schemas/event-encoding.md). With event_id and occurred_at (to the millisecond) it is the whole log
-- record. Replicas read it with binary transfer and decode it with the log's own decoder instead of
-- parsing JSON; `log restore` writes it back byte for byte; `mirror verify` compares it. `payload` stays
-- for analysts. Adding a column without a default rewrites nothing: rows mirrored before this migration
-- hold NULL until the mirror fills them from the log (resumable, in position order, at its start), and
-- readers decode their JSON meanwhile.
ALTER TABLE events ADD COLUMN record bytea;

COMMENT ON COLUMN events.record IS 'The event as the log stores it (EventCodec binary, Schemas/event-encoding.md); NULL only in rows mirrored before migration 009 that the mirror has not filled yet.';

-- The rows still to fill, found at once by the mirror at each start; rows mirrored since carry their
-- record and never enter this index.
CREATE INDEX events_record_missing ON events (position) WHERE record IS NULL;
