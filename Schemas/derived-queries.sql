-- Questions over the derived tables (schema derived: the writer's fits and factor model), as the analyst
-- role. Each query follows the comment line that asks its question; the tests run each on a writer's output.

-- question: How did the most compared set's rating move this month (each fit, with its interval and rank)?
WITH tracked AS (
    SELECT e.item
    FROM derived.leaderboard_entries e
    WHERE e.fit_id = (SELECT fit_id FROM derived.leaderboard_fits WHERE board = 'sets' ORDER BY position DESC LIMIT 1)
    ORDER BY e.comparisons DESC, e.item
    LIMIT 1
)
SELECT f.fitted_at, f.position, e.item AS set_id, round(e.rating::numeric, 1) AS rating,
       round(e.lower::numeric, 1) AS lower, round(e.upper::numeric, 1) AS upper, e.rank
FROM derived.leaderboard_entries e
JOIN derived.leaderboard_fits f ON f.fit_id = e.fit_id
WHERE e.item = (SELECT item FROM tracked) AND f.board = 'sets' AND f.fitted_at >= now() - interval '30 days'
ORDER BY f.position;

-- question: Which films does the model think are most like the film in the most current sets?
WITH target AS (
    SELECT f.movie_id, f.factors
    FROM derived.movie_features f
    WHERE f.movie_id = (SELECT sf.movie_id FROM analytics.set_films sf JOIN analytics.sets s ON s.set_id = sf.set_id
                        WHERE s.is_current GROUP BY sf.movie_id ORDER BY count(*) DESC, sf.movie_id LIMIT 1)
),
alike AS (
    SELECT f.movie_id,
           (SELECT sum(a * b) / nullif(sqrt(sum(a * a)) * sqrt(sum(b * b)), 0)
            FROM unnest(f.factors, t.factors) AS u(a, b)) AS cosine
    FROM derived.movie_features f, target t
    WHERE f.movie_id <> t.movie_id
)
SELECT (SELECT movie_id FROM target) AS film, s.movie_id AS alike, m.title, round(s.cosine::numeric, 3) AS cosine
FROM alike s
JOIN analytics.films m ON m.movie_id = s.movie_id
ORDER BY s.cosine DESC NULLS LAST, s.movie_id
LIMIT 10;

-- question: Which films does the model recommend to the most voters (in their top three)?
SELECT r.movie_id, m.title, count(*) AS voters, round(avg(r.score)::numeric, 3) AS mean_score
FROM derived.recommendations r
JOIN analytics.films m ON m.movie_id = r.movie_id
WHERE r.rank <= 3
GROUP BY r.movie_id, m.title
ORDER BY voters DESC, r.movie_id
LIMIT 10;
