-- Writer failover without a person: PostgreSQL is the arbiter. One row names the writer that holds the
-- lease, its epoch and when the lease ends (by this server's clock, so no two nodes' clocks are
-- compared). A standby writer takes an ended lease with epoch + 1; the writer renews its own.
CREATE TABLE writer_lease (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    holder     text        NOT NULL DEFAULT '',
    epoch      bigint      NOT NULL DEFAULT 0 CHECK (epoch >= 0),
    expires_at timestamptz NOT NULL DEFAULT '-infinity'
);

INSERT INTO writer_lease DEFAULT VALUES;

-- The fence: taking the lease sets the checkpoint's epoch in the same statement, and a leased writer's
-- mirror moves the checkpoint only while the epoch is its own. The checkpoint's row lock orders a
-- takeover against a commit in flight, so an old writer commits nothing once its epoch has ended.
ALTER TABLE mirror_checkpoint ADD COLUMN epoch bigint NOT NULL DEFAULT 0;

-- Replicas forward writes to whichever node holds the lease.
GRANT SELECT ON writer_lease TO moviemash_replica;
