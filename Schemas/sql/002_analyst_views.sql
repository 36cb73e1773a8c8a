-- Views for analysts: typed columns over the events table. Analysts read these, never events itself.

-- The latest catalogue entry of each film.
CREATE VIEW movies AS
SELECT DISTINCT ON (payload ->> 'movieID')
    payload ->> 'movieID'                                         AS movie_id,
    (payload ->> 'letterboxdID')::bigint                          AS letterboxd_id,
    payload ->> 'title'                                           AS title,
    (payload ->> 'year')::integer                                 AS year,
    ARRAY(SELECT jsonb_array_elements_text(payload -> 'directors')) AS directors,
    ARRAY(SELECT jsonb_array_elements_text(payload -> 'genres'))    AS genres,
    occurred_at                                                   AS catalogued_at,
    position
FROM events
WHERE type = 'MovieCatalogued'
ORDER BY payload ->> 'movieID', position DESC;

-- Every top-4 set ever scraped (a set is its owner and four films in order); is_current marks the
-- owner's latest scrape.
CREATE VIEW top4_sets AS
WITH scraped AS (
    SELECT DISTINCT ON (payload ->> 'setID')
        payload ->> 'setID'                                          AS set_id,
        payload ->> 'letterboxdUser'                                 AS letterboxd_user,
        ARRAY(SELECT jsonb_array_elements_text(payload -> 'movieIDs')) AS movie_ids,
        (payload ->> 'scrapedAt')::timestamptz                       AS scraped_at,
        position
    FROM events
    WHERE type = 'Top4SetScraped'
    ORDER BY payload ->> 'setID', position DESC
)
SELECT scraped.*,
       position = max(position) OVER (PARTITION BY letterboxd_user) AS is_current
FROM scraped;

-- Every vote, with the winning and losing set spelled out.
CREATE VIEW votes AS
SELECT
    (payload ->> 'voteID')::uuid   AS vote_id,
    (payload ->> 'userID')::uuid   AS user_id,
    payload ->> 'setA'             AS set_a,
    payload ->> 'setB'             AS set_b,
    CASE payload ->> 'winner' WHEN 'setA' THEN payload ->> 'setA' ELSE payload ->> 'setB' END AS winner_set,
    CASE payload ->> 'winner' WHEN 'setA' THEN payload ->> 'setB' ELSE payload ->> 'setA' END AS loser_set,
    (payload ->> 'ticketID')::uuid AS ticket_id,
    (payload ->> 'castAt')::timestamptz AS cast_at,
    position
FROM events
WHERE type = 'VoteCast';

-- Tallies per unordered pair of sets (set_low < set_high), computed from votes.
CREATE VIEW comparisons AS
SELECT
    least(set_a, set_b)                                          AS set_low,
    greatest(set_a, set_b)                                       AS set_high,
    count(*) FILTER (WHERE winner_set = least(set_a, set_b))     AS wins_low,
    count(*) FILTER (WHERE winner_set = greatest(set_a, set_b))  AS wins_high,
    count(*)                                                     AS votes,
    min(cast_at)                                                 AS first_vote_at,
    max(cast_at)                                                 AS last_vote_at
FROM votes
GROUP BY least(set_a, set_b), greatest(set_a, set_b);

-- Registered voters, without password hashes (and MovieMash stores no e-mail addresses).
CREATE VIEW users_public AS
SELECT
    (payload ->> 'userID')::uuid AS user_id,
    payload ->> 'username'       AS username,
    occurred_at                  AS registered_at
FROM events
WHERE type = 'UserRegistered';
