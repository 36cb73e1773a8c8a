-- The mirror of the event log: one row per log position, written only by the mirror, never updated.
CREATE TABLE events (
    position       bigint      PRIMARY KEY CHECK (position >= 0),
    event_id       uuid        NOT NULL UNIQUE,
    type           text        NOT NULL,
    schema_version integer     NOT NULL CHECK (schema_version >= 1),
    occurred_at    timestamptz NOT NULL,
    payload        jsonb       NOT NULL
);

COMMENT ON TABLE events IS 'Every event of the MovieMash log, by log position (the global order). Payload shapes: Schemas/events/<type>.v<schema_version>.json.';

-- Analysts ask by type and time ("votes this week"; every view filters by type); the mirror and verify
-- read by position (the key). No index on time alone: each index slows the mirror's inserts.
CREATE INDEX events_type_occurred_at ON events (type, occurred_at);

-- How far the mirror has come: every position below next_position is in events. Updated in the same
-- transaction as the rows, so the two never disagree.
CREATE TABLE mirror_checkpoint (
    singleton     boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    next_position bigint      NOT NULL CHECK (next_position >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

INSERT INTO mirror_checkpoint (next_position) VALUES (0);
