-- Films as teams: the film board is now fitted with a set's strength the sum of its four films', on the
-- set pairs' counts (one vote counts once), with a Gaussian prior on each film. Fits before this migration
-- fitted films on film pairs (every film of the winning set beat every film of the losing set), whose
-- ratings and intervals mean something else; `model` tells them apart. `api_fit_id` is the fit's id as
-- the HTTP API gives it (`fit.id`, `?fit=ID`): the log position the fit covers, the same on every node.

ALTER TABLE derived.leaderboard_fits ADD COLUMN api_fit_id bigint;
UPDATE derived.leaderboard_fits SET api_fit_id = position;
ALTER TABLE derived.leaderboard_fits ALTER COLUMN api_fit_id SET NOT NULL;
ALTER TABLE derived.leaderboard_fits ADD CONSTRAINT leaderboard_fits_api_fit_id UNIQUE (board, api_fit_id);
COMMENT ON COLUMN derived.leaderboard_fits.api_fit_id IS 'The fit''s id as the HTTP API gives it (fit.id, ?fit=ID): the log position it covers.';

ALTER TABLE derived.leaderboard_fits ADD COLUMN model text;
UPDATE derived.leaderboard_fits SET model = CASE board WHEN 'sets' THEN 'sets' ELSE 'film-pairs' END;
ALTER TABLE derived.leaderboard_fits ALTER COLUMN model SET NOT NULL;
ALTER TABLE derived.leaderboard_fits ADD CONSTRAINT leaderboard_fits_model CHECK (
    (board = 'sets' AND model = 'sets') OR (board = 'films' AND model IN ('film-pairs', 'film-teams')));
COMMENT ON COLUMN derived.leaderboard_fits.model IS 'sets; film-teams (a set''s strength is the sum of its films''; since migration 008); film-pairs (earlier film fits, not comparable).';

COMMENT ON TABLE derived.leaderboard_entries IS 'Derived: each item of a fit (a set id or a film id) with rating, 95% interval and rank. A film-teams rating is the film''s share of its sets'' strength: a set rates about 1500 + the sum of its films'' (rating - 1500).';
