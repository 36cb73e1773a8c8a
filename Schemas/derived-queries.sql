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

-- question: How much of each top set's rating do its films explain (the film board fits films as teams: a set
-- rates about 1500 + the sum of its films' rating - 1500), and how sure is each film's share?
WITH latest AS (
    SELECT board, fit_id FROM derived.leaderboard_fits f
    WHERE f.api_fit_id = (SELECT max(api_fit_id) FROM derived.leaderboard_fits WHERE model = 'film-teams')
),
top_sets AS (
    SELECT e.item AS set_id, e.rating
    FROM derived.leaderboard_entries e JOIN latest l ON l.fit_id = e.fit_id AND l.board = 'sets'
    ORDER BY e.rating DESC, e.item
    LIMIT 10
)
SELECT t.set_id, round(t.rating::numeric, 1) AS set_rating,
       round((1500 + sum(e.rating - 1500))::numeric, 1) AS sum_of_films,
       string_agg(sf.movie_id || ' ' || round(e.rating::numeric) || ' ±' || round(((e.upper - e.lower) / 2)::numeric), ', '
                  ORDER BY sf.slot) AS films
FROM top_sets t
JOIN analytics.set_films sf ON sf.set_id = t.set_id
JOIN derived.leaderboard_entries e ON e.item = sf.movie_id AND e.fit_id = (SELECT fit_id FROM latest WHERE board = 'films')
GROUP BY t.set_id, t.rating
ORDER BY t.rating DESC, t.set_id;

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
