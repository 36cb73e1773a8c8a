-- The pair questions on PostgreSQL's default settings. Grouping a million votes by their unordered pair
-- makes about a million groups; with the default work_mem (4 MB) a hash of them spills to disk and a sort
-- of them does too, whatever the keys' type (integer surrogate keys measured no faster there than the
-- 32-digit ids). Each vote now carries its pair in order (set_low < set_high, and whether the lower won),
-- and an index holds exactly what the pair questions read, in pair order: they read it as a stream and
-- count each pair as it passes, needing no work_mem at all. The index only grows with the votes and its
-- columns never change, so autovacuum keeps it readable without the table (index-only).

DROP VIEW comparisons, votes;

ALTER TABLE analytics.votes
    ADD COLUMN set_low  text    COLLATE "C" GENERATED ALWAYS AS (least(set_a, set_b)) STORED,
    ADD COLUMN set_high text    COLLATE "C" GENERATED ALWAYS AS (greatest(set_a, set_b)) STORED,
    ADD COLUMN low_won  boolean GENERATED ALWAYS AS (winner_set = least(set_a, set_b)) STORED;
COMMENT ON COLUMN analytics.votes.set_low IS 'The pair''s lower set id (least(set_a, set_b)), kept by PostgreSQL.';
COMMENT ON COLUMN analytics.votes.set_high IS 'The pair''s higher set id (greatest(set_a, set_b)), kept by PostgreSQL.';
COMMENT ON COLUMN analytics.votes.low_won IS 'Whether set_low won this vote, kept by PostgreSQL.';
CREATE INDEX votes_pairs ON analytics.votes (set_low, set_high) INCLUDE (low_won, cast_at);

-- Votes arrive in the order they were cast, so the table's pages are in cast_at order already: a block-range
-- index finds a time window as well as the B-tree did and costs the mirror next to nothing, which pays
-- for most of the pair index above (each a random insert into a large B-tree).
DROP INDEX analytics.votes_cast_at;
CREATE INDEX votes_cast_at ON analytics.votes USING brin (cast_at) WITH (autosummarize = on);

-- The table's row type now has the generated columns, which an insert may not name: the derivation
-- returns the columns a vote event gives.
DROP FUNCTION analytics.vote_rows(bigint, bigint);
CREATE FUNCTION analytics.vote_rows(low bigint, high bigint)
RETURNS TABLE ("position" bigint, vote_id uuid, user_id uuid, set_a text, set_b text, winner_set text,
               loser_set text, ticket_id uuid, cast_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT e.position, (e.payload ->> 'voteID')::uuid, (e.payload ->> 'userID')::uuid,
           e.payload ->> 'setA', e.payload ->> 'setB',
           CASE e.payload ->> 'winner' WHEN 'setA' THEN e.payload ->> 'setA' ELSE e.payload ->> 'setB' END,
           CASE e.payload ->> 'winner' WHEN 'setA' THEN e.payload ->> 'setB' ELSE e.payload ->> 'setA' END,
           (e.payload ->> 'ticketID')::uuid, (e.payload ->> 'castAt')::timestamptz
    FROM events e WHERE e.position >= low AND e.position < high AND e.type || '' = 'VoteCast'
$$;
REVOKE ALL ON FUNCTION analytics.vote_rows(bigint, bigint) FROM PUBLIC;

-- Each statement costs a scan of the range and a step of the plan whether or not it finds anything, for
-- every mirror transaction, and near the live end a transaction holds votes alone: the kinds of event the
-- range holds are found first, and only their statements run.
CREATE FUNCTION analytics.event_kinds(low bigint, high bigint) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT e.type FROM events e WHERE e.position >= low AND e.position < high
$$;
REVOKE ALL ON FUNCTION analytics.event_kinds(bigint, bigint) FROM PUBLIC;

CREATE OR REPLACE FUNCTION analytics.apply(low bigint, high bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    present text[];
BEGIN
    SELECT coalesce(array_agg(k), '{}') INTO present FROM analytics.event_kinds(low, high) AS k;
    IF 'VoteCast' = ANY (present) THEN
        INSERT INTO analytics.votes (position, vote_id, user_id, set_a, set_b, winner_set, loser_set, ticket_id, cast_at)
        SELECT * FROM analytics.vote_rows(low, high) ON CONFLICT (position) DO NOTHING;
    END IF;
    IF 'UserRegistered' = ANY (present) THEN
        INSERT INTO analytics.voters SELECT * FROM analytics.voter_rows(low, high) ON CONFLICT (user_id) DO NOTHING;
    END IF;
    IF 'UserErased' = ANY (present) THEN
        UPDATE analytics.voters v SET erased_at = e.occurred_at
        FROM events e
        WHERE e.position >= low AND e.position < high AND e.type || '' = 'UserErased'
          AND v.user_id = (e.payload ->> 'userID')::uuid AND v.erased_at IS NULL;
    END IF;
    IF 'MovieCatalogued' = ANY (present) THEN
        INSERT INTO analytics.films SELECT * FROM analytics.film_rows(low, high)
        ON CONFLICT (movie_id) DO UPDATE SET
            letterboxd_id = excluded.letterboxd_id, title = excluded.title, year = excluded.year,
            directors = excluded.directors, genres = excluded.genres, catalogued_at = excluded.catalogued_at,
            position = excluded.position
        WHERE excluded.position > analytics.films.position;
    END IF;
    IF NOT 'Top4SetScraped' = ANY (present) THEN
        RETURN;
    END IF;

    IF to_regclass('pg_temp.analytics_scraped') IS NULL THEN
        CREATE TEMPORARY TABLE analytics_scraped (LIKE analytics.sets) ON COMMIT DELETE ROWS;
    END IF;
    INSERT INTO analytics_scraped SELECT * FROM analytics.set_rows(low, high);
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

-- As migration 005's, the votes compared by the columns a vote event gives (the rest PostgreSQL computes).
CREATE OR REPLACE FUNCTION analytics.differences()
RETURNS TABLE (table_name text, missing bigint, extra bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    high bigint;
BEGIN
    SELECT coalesce(max(e.position) + 1, 0) INTO high FROM events e;
    RETURN QUERY
    WITH stored_votes AS (
        SELECT v.position, v.vote_id, v.user_id, v.set_a COLLATE "default", v.set_b COLLATE "default",
               v.winner_set COLLATE "default", v.loser_set COLLATE "default", v.ticket_id, v.cast_at
        FROM analytics.votes v)
    SELECT 'votes', (SELECT count(*) FROM (SELECT * FROM analytics.vote_rows(0, high) EXCEPT ALL SELECT * FROM stored_votes) d),
                    (SELECT count(*) FROM (SELECT * FROM stored_votes EXCEPT ALL SELECT * FROM analytics.vote_rows(0, high)) d)
    UNION ALL
    SELECT 'films', (SELECT count(*) FROM (SELECT * FROM analytics.film_rows(0, high) EXCEPT ALL SELECT * FROM analytics.films) d),
                    (SELECT count(*) FROM (SELECT * FROM analytics.films EXCEPT ALL SELECT * FROM analytics.film_rows(0, high)) d)
    UNION ALL
    SELECT 'voters', (SELECT count(*) FROM (SELECT * FROM analytics.voter_rows(0, high) EXCEPT ALL SELECT * FROM analytics.voters) d),
                     (SELECT count(*) FROM (SELECT * FROM analytics.voters EXCEPT ALL SELECT * FROM analytics.voter_rows(0, high)) d)
    UNION ALL
    SELECT 'sets', (SELECT count(*) FROM (
                        SELECT r.set_id, r.letterboxd_user, r.movie_ids, r.scraped_at, r.position,
                               r.position = max(r.position) OVER (PARTITION BY r.letterboxd_user)
                        FROM analytics.set_rows(0, high) r
                        EXCEPT ALL SELECT * FROM analytics.sets) d),
                   (SELECT count(*) FROM (
                        SELECT * FROM analytics.sets
                        EXCEPT ALL
                        SELECT r.set_id, r.letterboxd_user, r.movie_ids, r.scraped_at, r.position,
                               r.position = max(r.position) OVER (PARTITION BY r.letterboxd_user)
                        FROM analytics.set_rows(0, high) r) d)
    UNION ALL
    SELECT 'set_films', (SELECT count(*) FROM (
                             SELECT s.set_id, f.slot::smallint, f.movie_id FROM analytics.set_rows(0, high) s
                             CROSS JOIN LATERAL unnest(s.movie_ids) WITH ORDINALITY AS f(movie_id, slot)
                             EXCEPT ALL SELECT * FROM analytics.set_films) d),
                        (SELECT count(*) FROM (
                             SELECT * FROM analytics.set_films
                             EXCEPT ALL
                             SELECT s.set_id, f.slot::smallint, f.movie_id FROM analytics.set_rows(0, high) s
                             CROSS JOIN LATERAL unnest(s.movie_ids) WITH ORDINALITY AS f(movie_id, slot)) d);
END
$$;

-- The views keep their columns; votes gains the pair in order, comparisons counts over it.
CREATE VIEW votes AS
SELECT vote_id, user_id, set_a, set_b, winner_set, loser_set, ticket_id, cast_at, position, set_low, set_high, low_won
FROM analytics.votes;

CREATE VIEW comparisons AS
SELECT
    set_low,
    set_high,
    count(*) FILTER (WHERE low_won)      AS wins_low,
    count(*) FILTER (WHERE NOT low_won)  AS wins_high,
    count(*)                             AS votes,
    min(cast_at)                         AS first_vote_at,
    max(cast_at)                         AS last_vote_at
FROM analytics.votes
GROUP BY set_low, set_high;

GRANT SELECT ON votes, comparisons TO moviemash_analyst;
GRANT SELECT ON analytics.votes TO moviemash_analyst;
