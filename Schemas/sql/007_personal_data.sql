-- Personal data is sealed (UserRegistered version 2 carries the name and password hash encrypted under a
-- per-user key that lives outside the log and outside PostgreSQL), and an erasure destroys the key. What
-- analysts see of voters is therefore who they are as a pseudonymous id, when they registered, and whether
-- they erased their account: never a name. Names written before sealing (version 1) stay readable in
-- `events` (which analysts cannot read) and are no longer copied anywhere else.

DROP VIEW users_public;
ALTER TABLE analytics.voters DROP COLUMN username, ADD COLUMN erased_at timestamptz;
COMMENT ON TABLE analytics.voters IS 'Dimension: one row per UserRegistered event: the id, when, and when the voter erased their account (no name, no hash).';
COMMENT ON COLUMN analytics.voters.erased_at IS 'When the voter erased their account (UserErased); their votes stay, tied to this id.';

-- Erasures by user, for the voters derivation.
CREATE INDEX events_erasures ON events ((payload ->> 'userID')) WHERE type = 'UserErased';

CREATE OR REPLACE FUNCTION analytics.voter_rows(low bigint, high bigint) RETURNS SETOF analytics.voters
LANGUAGE sql STABLE AS $$
    SELECT (r.payload ->> 'userID')::uuid, r.occurred_at, r.position,
           (SELECT min(x.occurred_at) FROM events x WHERE x.type = 'UserErased' AND x.payload ->> 'userID' = r.payload ->> 'userID')
    FROM events r WHERE r.position >= low AND r.position < high AND r.type = 'UserRegistered'
$$;

CREATE OR REPLACE FUNCTION analytics.apply(low bigint, high bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics.votes SELECT * FROM analytics.vote_rows(low, high) ON CONFLICT (position) DO NOTHING;
    INSERT INTO analytics.voters SELECT * FROM analytics.voter_rows(low, high) ON CONFLICT (user_id) DO NOTHING;
    UPDATE analytics.voters v SET erased_at = e.occurred_at
    FROM events e
    WHERE e.position >= low AND e.position < high AND e.type = 'UserErased'
      AND v.user_id = (e.payload ->> 'userID')::uuid AND v.erased_at IS NULL;
    INSERT INTO analytics.films SELECT * FROM analytics.film_rows(low, high)
    ON CONFLICT (movie_id) DO UPDATE SET
        letterboxd_id = excluded.letterboxd_id, title = excluded.title, year = excluded.year,
        directors = excluded.directors, genres = excluded.genres, catalogued_at = excluded.catalogued_at,
        position = excluded.position
    WHERE excluded.position > analytics.films.position;

    IF to_regclass('pg_temp.analytics_scraped') IS NULL THEN
        CREATE TEMPORARY TABLE analytics_scraped (LIKE analytics.sets) ON COMMIT DELETE ROWS;
    END IF;
    INSERT INTO analytics_scraped SELECT * FROM analytics.set_rows(low, high);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO analytics.sets SELECT * FROM analytics_scraped
    ON CONFLICT (set_id) DO UPDATE SET scraped_at = excluded.scraped_at, position = excluded.position
    WHERE excluded.position > analytics.sets.position;
    INSERT INTO analytics.set_films
    SELECT s.set_id, f.slot, f.movie_id FROM analytics_scraped s
    CROSS JOIN LATERAL unnest(s.movie_ids) WITH ORDINALITY AS f(movie_id, slot)
    ON CONFLICT DO NOTHING;
    UPDATE analytics.sets s SET is_current = (s.position = latest.position)
    FROM (SELECT letterboxd_user, max(position) AS position FROM analytics.sets
          WHERE letterboxd_user IN (SELECT letterboxd_user FROM analytics_scraped)
          GROUP BY letterboxd_user) latest
    WHERE s.letterboxd_user = latest.letterboxd_user AND s.is_current IS DISTINCT FROM (s.position = latest.position);
    DELETE FROM analytics_scraped;
END
$$;

SELECT analytics.rebuild();

-- Voters by id: a name is personal data the analysts' questions never need (they ask about behaviour, which
-- the id carries), PostgreSQL holds no key that could open a sealed one, and showing the readable names of
-- accounts registered before sealing would treat those people worse than everyone since.
CREATE VIEW users_public AS
SELECT user_id, registered_at, erased_at FROM analytics.voters;

GRANT SELECT ON users_public TO moviemash_analyst;
