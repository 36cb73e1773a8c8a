-- The replicas' group role: a replica node builds its projections from `events`, tailing it by the
-- mirror's checkpoint, and reads nothing else (not the analyst views: it needs the payloads, and they hold
-- password hashes, which is also why analysts get no access to `events`). Logins join it with:
--   CREATE ROLE replica_a LOGIN PASSWORD '…' IN ROLE moviemash_replica;
DO $$
BEGIN
    CREATE ROLE moviemash_replica NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO moviemash_replica;
GRANT SELECT ON events, mirror_checkpoint TO moviemash_replica;
