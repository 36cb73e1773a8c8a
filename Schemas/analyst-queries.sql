-- Questions analysts ask of MovieMash, answered over the analyst views (role moviemash_analyst), which read the
-- typed tables of schema analytics. Tallies are aggregated once per set before any join, never per row.
-- Each query follows the comment line that asks its question; the test suite runs every one of them.

-- question: Which pairs of sets were compared most in the last 7 days, and how did they split?
-- (set_low, set_high and low_won are the pair in order, which an index holds sorted: counted as it streams by.)
SELECT set_low, set_high, count(*) AS votes, count(*) FILTER (WHERE low_won) AS wins_low
FROM votes
WHERE cast_at >= now() - interval '7 days'
GROUP BY set_low, set_high
ORDER BY votes DESC, set_low, set_high
LIMIT 20;

-- question: What is each set's win rate (sets with at least 5 votes), best first?
WITH tallies AS (
    SELECT set_id, sum(win) AS wins, count(*) - sum(win) AS losses
    FROM (SELECT winner_set AS set_id, 1 AS win FROM votes
          UNION ALL
          SELECT loser_set, 0 FROM votes) sides
    GROUP BY set_id
)
SELECT s.set_id, s.letterboxd_user, t.wins, t.losses, round(t.wins::numeric / (t.wins + t.losses), 3) AS win_rate
FROM tallies t
JOIN top4_sets s ON s.set_id = t.set_id
WHERE t.wins + t.losses >= 5
ORDER BY win_rate DESC, t.wins DESC, s.set_id;

-- question: Which films appear in the most current top-4 sets?
SELECT m.movie_id, m.title, m.year, count(*) AS sets
FROM top4_sets s
CROSS JOIN LATERAL unnest(s.movie_ids) AS f(movie_id)
JOIN movies m ON m.movie_id = f.movie_id
WHERE s.is_current
GROUP BY m.movie_id, m.title, m.year
ORDER BY sets DESC, m.movie_id
LIMIT 25;

-- question: How many votes were cast per hour over the last two days?
SELECT date_trunc('hour', cast_at) AS hour, count(*) AS votes, count(DISTINCT user_id) AS voters
FROM votes
WHERE cast_at >= now() - interval '48 hours'
GROUP BY 1
ORDER BY 1;

-- question: Who are the most active voters?
SELECT u.user_id, u.registered_at, u.erased_at IS NOT NULL AS erased, v.votes, v.first_vote, v.last_vote
FROM (SELECT user_id, count(*) AS votes, min(cast_at) AS first_vote, max(cast_at) AS last_vote
      FROM votes GROUP BY user_id) v
JOIN users_public u ON u.user_id = v.user_id
ORDER BY v.votes DESC, u.user_id
LIMIT 20;

-- question: Which rivalries are closest (pairs with at least 3 votes, split nearest to even)?
SELECT set_low, set_high, votes, wins_low, wins_high, abs(wins_low - wins_high) AS margin
FROM comparisons
WHERE votes >= 3
ORDER BY margin, votes DESC, set_low, set_high
LIMIT 20;

-- question: Which genres win most often (a vote credits each genre of the winning set's films)?
WITH tallies AS (
    SELECT set_id, sum(win) AS wins, count(*) AS sides
    FROM (SELECT winner_set AS set_id, 1 AS win FROM votes
          UNION ALL
          SELECT loser_set, 0 FROM votes) sides
    GROUP BY set_id
)
SELECT g.genre, sum(t.wins)::bigint AS wins, sum(t.sides - t.wins)::bigint AS losses,
       round(sum(t.wins) / sum(t.sides), 3) AS win_rate
FROM tallies t
JOIN top4_sets s ON s.set_id = t.set_id
CROSS JOIN LATERAL unnest(s.movie_ids) AS f(movie_id)
JOIN movies m ON m.movie_id = f.movie_id
CROSS JOIN LATERAL unnest(m.genres) AS g(genre)
GROUP BY g.genre
ORDER BY win_rate DESC, g.genre;

-- question: Which directors are most represented in current top-4 sets?
SELECT d.director, count(*) AS appearances, count(DISTINCT s.letterboxd_user) AS owners
FROM top4_sets s
CROSS JOIN LATERAL unnest(s.movie_ids) AS f(movie_id)
JOIN movies m ON m.movie_id = f.movie_id
CROSS JOIN LATERAL unnest(m.directors) AS d(director)
WHERE s.is_current
GROUP BY d.director
ORDER BY appearances DESC, d.director
LIMIT 20;

-- question: How many voters registered per day, and how many of them have voted?
-- (Each voter once, then joined: a test per registered voter would look through the votes again for each
-- one once they no longer fit in work_mem.)
SELECT date_trunc('day', u.registered_at) AS day, count(*) AS registered, count(v.user_id) AS voted
FROM users_public u
LEFT JOIN (SELECT DISTINCT user_id FROM votes) v ON v.user_id = u.user_id
GROUP BY 1
ORDER BY 1;

-- question: Which current sets have never been shown in a vote?
SELECT s.set_id, s.letterboxd_user, s.scraped_at
FROM top4_sets s
WHERE s.is_current
  AND NOT EXISTS (SELECT 1 FROM votes v WHERE v.set_a = s.set_id)
  AND NOT EXISTS (SELECT 1 FROM votes v WHERE v.set_b = s.set_id)
ORDER BY s.scraped_at, s.set_id;
