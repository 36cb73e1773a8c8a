-- The analysts' group role: it reads the views and nothing else. Roles belong to the whole cluster, so
-- another database (perhaps migrating at this very moment) may have created it already: that is fine.
-- Logins join it with:
--   CREATE ROLE alice LOGIN PASSWORD '…' IN ROLE moviemash_analyst;
DO $$
BEGIN
    CREATE ROLE moviemash_analyst NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

REVOKE ALL ON events, mirror_checkpoint FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO moviemash_analyst;
GRANT SELECT ON movies, top4_sets, votes, comparisons, users_public TO moviemash_analyst;
