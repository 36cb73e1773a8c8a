-- The analysts' group role: it reads the views and nothing else. Roles belong to the whole cluster, so
-- it is created only if another database has not created it already. Logins join it with:
--   CREATE ROLE alice LOGIN PASSWORD '…' IN ROLE moviemash_analyst;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'moviemash_analyst') THEN
        CREATE ROLE moviemash_analyst NOLOGIN;
    END IF;
END
$$;

REVOKE ALL ON events, mirror_checkpoint FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO moviemash_analyst;
GRANT SELECT ON movies, top4_sets, votes, comparisons, users_public TO moviemash_analyst;
