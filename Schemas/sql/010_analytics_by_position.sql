-- The typed tables' derivation reads the events of a position range by the primary key alone. Written as
-- `position BETWEEN … AND type = 'VoteCast'`, the planner could also use the (type, occurred_at) index and
-- AND the two bitmaps: inside the trigger (generic plans, whose estimate for a range knows nothing of its
-- width) it did, and read every event of the type for each mirror transaction of a few votes, a cost
-- that grew with the table and sat on every acknowledged `replicated` vote. `type || ''` is no column
-- an index holds, so the range decides the plan; each function then filters the slice it reads.

CREATE OR REPLACE FUNCTION analytics.vote_rows(low bigint, high bigint) RETURNS SETOF analytics.votes
LANGUAGE sql STABLE AS $$
    SELECT position, (payload ->> 'voteID')::uuid, (payload ->> 'userID')::uuid,
           payload ->> 'setA', payload ->> 'setB',
           CASE payload ->> 'winner' WHEN 'setA' THEN payload ->> 'setA' ELSE payload ->> 'setB' END,
           CASE payload ->> 'winner' WHEN 'setA' THEN payload ->> 'setB' ELSE payload ->> 'setA' END,
           (payload ->> 'ticketID')::uuid, (payload ->> 'castAt')::timestamptz
    FROM events WHERE position >= low AND position < high AND type || '' = 'VoteCast'
$$;

CREATE OR REPLACE FUNCTION analytics.film_rows(low bigint, high bigint) RETURNS SETOF analytics.films
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (payload ->> 'movieID')
           payload ->> 'movieID', (payload ->> 'letterboxdID')::bigint, payload ->> 'title',
           (payload ->> 'year')::integer,
           ARRAY(SELECT jsonb_array_elements_text(payload -> 'directors')),
           ARRAY(SELECT jsonb_array_elements_text(payload -> 'genres')),
           occurred_at, position
    FROM events WHERE position >= low AND position < high AND type || '' = 'MovieCatalogued'
    ORDER BY payload ->> 'movieID', position DESC
$$;

CREATE OR REPLACE FUNCTION analytics.set_rows(low bigint, high bigint) RETURNS SETOF analytics.sets
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (payload ->> 'setID')
           payload ->> 'setID', payload ->> 'letterboxdUser',
           ARRAY(SELECT jsonb_array_elements_text(payload -> 'movieIDs')),
           (payload ->> 'scrapedAt')::timestamptz, position, false
    FROM events WHERE position >= low AND position < high AND type || '' = 'Top4SetScraped'
    ORDER BY payload ->> 'setID', position DESC
$$;

CREATE OR REPLACE FUNCTION analytics.voter_rows(low bigint, high bigint) RETURNS SETOF analytics.voters
LANGUAGE sql STABLE AS $$
    SELECT (r.payload ->> 'userID')::uuid, r.occurred_at, r.position,
           (SELECT min(x.occurred_at) FROM events x WHERE x.type = 'UserErased' AND x.payload ->> 'userID' = r.payload ->> 'userID')
    FROM events r WHERE r.position >= low AND r.position < high AND r.type || '' = 'UserRegistered'
$$;

CREATE OR REPLACE FUNCTION analytics.apply(low bigint, high bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics.votes SELECT * FROM analytics.vote_rows(low, high) ON CONFLICT (position) DO NOTHING;
    INSERT INTO analytics.voters SELECT * FROM analytics.voter_rows(low, high) ON CONFLICT (user_id) DO NOTHING;
    UPDATE analytics.voters v SET erased_at = e.occurred_at
    FROM events e
    WHERE e.position >= low AND e.position < high AND e.type || '' = 'UserErased'
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
