-- Typed, indexed tables for analysts (schema `analytics`), kept by the database from `events`.
--
-- Why the database and not the mirror: a statement trigger on `events` runs in the transaction of every
-- insert, so the typed tables can never be a batch ahead of or behind `events` (a crash rolls both back),
-- whoever inserts. The derivation is SQL over `events` by position range, one function per table, and the
-- same functions rebuild the tables (analytics.rebuild) and check them (analytics.differences). `events`
-- stays the exact copy of the log; everything here can be dropped and rebuilt from it.

CREATE SCHEMA analytics;
COMMENT ON SCHEMA analytics IS 'Typed tables derived from events by the database, in the same transaction; rebuild with `moviemash mirror rebuild`.';

-- Set ids are 32 lowercase hex digits: the C collation orders them as any locale would, and far faster.
CREATE TABLE analytics.votes (
    position   bigint      PRIMARY KEY,
    vote_id    uuid        NOT NULL,
    user_id    uuid        NOT NULL,
    set_a      text        COLLATE "C" NOT NULL,
    set_b      text        COLLATE "C" NOT NULL,
    winner_set text        COLLATE "C" NOT NULL,
    loser_set  text        COLLATE "C" NOT NULL,
    ticket_id  uuid        NOT NULL,
    cast_at    timestamptz NOT NULL
);
COMMENT ON TABLE analytics.votes IS 'Fact: one row per VoteCast event, by log position.';
-- Time windows ("this week") read a slice; votes arrive in time order, so this index only appends. Per-voter
-- and per-set questions aggregate the whole table, where an index would not help and would slow every
-- batch of the mirror with random inserts.
CREATE INDEX votes_cast_at ON analytics.votes (cast_at);

-- The latest catalogue entry of each film.
CREATE TABLE analytics.films (
    movie_id      text        PRIMARY KEY,
    letterboxd_id bigint      NOT NULL,
    title         text        NOT NULL,
    year          integer,
    directors     text[]      NOT NULL,
    genres        text[]      NOT NULL,
    catalogued_at timestamptz NOT NULL,
    position      bigint      NOT NULL
);
COMMENT ON TABLE analytics.films IS 'Dimension: each film as its latest MovieCatalogued event describes it.';

-- Every set ever scraped, with its latest scrape; is_current marks the owner's latest.
CREATE TABLE analytics.sets (
    set_id          text        COLLATE "C" PRIMARY KEY,
    letterboxd_user text        NOT NULL,
    movie_ids       text[]      NOT NULL,
    scraped_at      timestamptz NOT NULL,
    position        bigint      NOT NULL,
    is_current      boolean     NOT NULL
);
COMMENT ON TABLE analytics.sets IS 'Dimension: each top-4 set (owner and four films in order) as last scraped.';
CREATE INDEX sets_owner ON analytics.sets (letterboxd_user, position);

-- A set's films, one row per slot (a set id is derived from its owner and films, so they never change).
CREATE TABLE analytics.set_films (
    set_id   text     COLLATE "C" NOT NULL REFERENCES analytics.sets,
    slot     smallint NOT NULL CHECK (slot BETWEEN 1 AND 4),
    movie_id text     NOT NULL,
    PRIMARY KEY (set_id, slot)
);
COMMENT ON TABLE analytics.set_films IS 'Bridge: the four films of each set, slot 1 first as on the profile.';
CREATE INDEX set_films_movie ON analytics.set_films (movie_id);

-- Registered voters without password hashes (MovieMash stores no e-mail addresses).
CREATE TABLE analytics.voters (
    user_id       uuid        PRIMARY KEY,
    username      text        NOT NULL,
    registered_at timestamptz NOT NULL,
    position      bigint      NOT NULL
);
COMMENT ON TABLE analytics.voters IS 'Dimension: one row per UserRegistered event, without its password hash.';

-- The rows each event of [low, high) contributes, straight from the JSON of `events`.
CREATE FUNCTION analytics.vote_rows(low bigint, high bigint) RETURNS SETOF analytics.votes
LANGUAGE sql STABLE AS $$
    SELECT position, (payload ->> 'voteID')::uuid, (payload ->> 'userID')::uuid,
           payload ->> 'setA', payload ->> 'setB',
           CASE payload ->> 'winner' WHEN 'setA' THEN payload ->> 'setA' ELSE payload ->> 'setB' END,
           CASE payload ->> 'winner' WHEN 'setA' THEN payload ->> 'setB' ELSE payload ->> 'setA' END,
           (payload ->> 'ticketID')::uuid, (payload ->> 'castAt')::timestamptz
    FROM events WHERE position >= low AND position < high AND type = 'VoteCast'
$$;

CREATE FUNCTION analytics.film_rows(low bigint, high bigint) RETURNS SETOF analytics.films
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (payload ->> 'movieID')
           payload ->> 'movieID', (payload ->> 'letterboxdID')::bigint, payload ->> 'title',
           (payload ->> 'year')::integer,
           ARRAY(SELECT jsonb_array_elements_text(payload -> 'directors')),
           ARRAY(SELECT jsonb_array_elements_text(payload -> 'genres')),
           occurred_at, position
    FROM events WHERE position >= low AND position < high AND type = 'MovieCatalogued'
    ORDER BY payload ->> 'movieID', position DESC
$$;

-- is_current is left false here: it depends on every set of the owner, and analytics.apply settles it.
CREATE FUNCTION analytics.set_rows(low bigint, high bigint) RETURNS SETOF analytics.sets
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (payload ->> 'setID')
           payload ->> 'setID', payload ->> 'letterboxdUser',
           ARRAY(SELECT jsonb_array_elements_text(payload -> 'movieIDs')),
           (payload ->> 'scrapedAt')::timestamptz, position, false
    FROM events WHERE position >= low AND position < high AND type = 'Top4SetScraped'
    ORDER BY payload ->> 'setID', position DESC
$$;

CREATE FUNCTION analytics.voter_rows(low bigint, high bigint) RETURNS SETOF analytics.voters
LANGUAGE sql STABLE AS $$
    SELECT (payload ->> 'userID')::uuid, payload ->> 'username', occurred_at, position
    FROM events WHERE position >= low AND position < high AND type = 'UserRegistered'
$$;

-- Folds the events of [low, high) into the typed tables. Idempotent: a range applied twice changes nothing.
CREATE FUNCTION analytics.apply(low bigint, high bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics.votes SELECT * FROM analytics.vote_rows(low, high) ON CONFLICT (position) DO NOTHING;
    INSERT INTO analytics.voters SELECT * FROM analytics.voter_rows(low, high) ON CONFLICT (user_id) DO NOTHING;
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

CREATE FUNCTION analytics.after_events_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    low bigint;
    high bigint;
BEGIN
    SELECT min(position), max(position) + 1 INTO low, high FROM inserted_events;
    IF low IS NOT NULL THEN
        PERFORM analytics.apply(low, high);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_analytics AFTER INSERT ON events
REFERENCING NEW TABLE AS inserted_events
FOR EACH STATEMENT EXECUTE FUNCTION analytics.after_events_insert();

-- Empties the typed tables and derives them again from every mirrored event, in one transaction that
-- keeps the mirror out meanwhile (it waits on the lock, then goes on).
CREATE FUNCTION analytics.rebuild() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    high bigint;
BEGIN
    LOCK TABLE events IN SHARE MODE;
    TRUNCATE analytics.set_films, analytics.sets, analytics.votes, analytics.films, analytics.voters;
    SELECT coalesce(max(position) + 1, 0) INTO high FROM events;
    PERFORM analytics.apply(0, high);
    RETURN high;
END
$$;

-- Rows in each typed table that a derivation from all of `events` lacks (extra) or has and the table
-- lacks (missing): all zero when the tables are in step with `events`.
CREATE FUNCTION analytics.differences()
RETURNS TABLE (table_name text, missing bigint, extra bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    high bigint;
BEGIN
    SELECT coalesce(max(position) + 1, 0) INTO high FROM events;
    RETURN QUERY
    SELECT 'votes', (SELECT count(*) FROM (SELECT * FROM analytics.vote_rows(0, high) EXCEPT ALL SELECT * FROM analytics.votes) d),
                    (SELECT count(*) FROM (SELECT * FROM analytics.votes EXCEPT ALL SELECT * FROM analytics.vote_rows(0, high)) d)
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

-- Whatever the mirror already holds.
SELECT analytics.rebuild();

-- The analysts' views keep their names and columns, now over the typed tables.
DROP VIEW comparisons, votes, top4_sets, movies, users_public;

CREATE VIEW movies AS
SELECT movie_id, letterboxd_id, title, year, directors, genres, catalogued_at, position FROM analytics.films;

CREATE VIEW top4_sets AS
SELECT set_id, letterboxd_user, movie_ids, scraped_at, position, is_current FROM analytics.sets;

CREATE VIEW votes AS
SELECT vote_id, user_id, set_a, set_b, winner_set, loser_set, ticket_id, cast_at, position FROM analytics.votes;

CREATE VIEW comparisons AS
SELECT
    least(set_a, set_b)                                          AS set_low,
    greatest(set_a, set_b)                                       AS set_high,
    count(*) FILTER (WHERE winner_set = least(set_a, set_b))     AS wins_low,
    count(*) FILTER (WHERE winner_set = greatest(set_a, set_b))  AS wins_high,
    count(*)                                                     AS votes,
    min(cast_at)                                                 AS first_vote_at,
    max(cast_at)                                                 AS last_vote_at
FROM analytics.votes
GROUP BY 1, 2;

CREATE VIEW users_public AS
SELECT user_id, username, registered_at FROM analytics.voters;

-- Analysts read the views and the typed tables; the functions that write them are not theirs.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA analytics FROM PUBLIC;
GRANT USAGE ON SCHEMA analytics TO moviemash_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO moviemash_analyst;
GRANT SELECT ON movies, top4_sets, votes, comparisons, users_public TO moviemash_analyst;
