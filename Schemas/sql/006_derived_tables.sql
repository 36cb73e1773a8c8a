-- Derived tables (schema `derived`): what the writer node's models made of the log, for analysts to chart
-- and inspect. They hold no facts of their own: each row names the log position its model covers, every
-- row can be recomputed by replaying the log to that position, and dropping them loses only history. The
-- writer writes them after a fit or a retraining, in one transaction each, never on a request path
-- (`--derived-interval`, hourly by default, paces it); PostgreSQL never writes them itself.

CREATE SCHEMA derived;
COMMENT ON SCHEMA derived IS 'Derived, rebuildable: outputs of the writer''s Bradley–Terry fits and factor model, each row naming the log position it covers.';

-- One Bradley–Terry fit of one board (sets or films), at the log position of the counts it used.
CREATE TABLE derived.leaderboard_fits (
    fit_id    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    board     text        NOT NULL CHECK (board IN ('sets', 'films')),
    position  bigint      NOT NULL CHECK (position >= 0),
    fitted_at timestamptz NOT NULL,
    items     integer     NOT NULL,
    UNIQUE (board, position)
);
COMMENT ON TABLE derived.leaderboard_fits IS 'Derived: one Bradley–Terry fit of a board, covering the votes before position.';

-- Every item of a fit: its rating on the Elo-like scale, the 95% bootstrap interval, the statistical
-- rank (1 + items surely better) and the comparisons it took part in.
CREATE TABLE derived.leaderboard_entries (
    fit_id      bigint           NOT NULL REFERENCES derived.leaderboard_fits ON DELETE CASCADE,
    item        text             NOT NULL,
    rating      double precision NOT NULL,
    lower       double precision NOT NULL,
    upper       double precision NOT NULL,
    rank        integer          NOT NULL,
    comparisons integer          NOT NULL,
    PRIMARY KEY (fit_id, item)
);
COMMENT ON TABLE derived.leaderboard_entries IS 'Derived: each item of a fit (a set id or a film id) with rating, interval and rank.';
-- "How did this set move": one item across fits.
CREATE INDEX leaderboard_entries_item ON derived.leaderboard_entries (item, fit_id);

-- One training of the implicit factor model, at the log position of the interactions it used.
CREATE TABLE derived.models (
    model_id   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position   bigint      NOT NULL UNIQUE CHECK (position >= 0),
    trained_at timestamptz NOT NULL,
    factors    integer     NOT NULL
);
COMMENT ON TABLE derived.models IS 'Derived: each training of the implicit matrix-factorization model.';

-- The latest model's factors of each film (the original design's movie_features).
CREATE TABLE derived.movie_features (
    movie_id text   PRIMARY KEY,
    model_id bigint NOT NULL REFERENCES derived.models,
    factors  real[] NOT NULL
);
COMMENT ON TABLE derived.movie_features IS 'Derived: film factors of the latest model; films alike have factors pointing the same way.';

-- The latest model's top recommendations for each voter it knows, best first.
CREATE TABLE derived.recommendations (
    user_id  uuid    NOT NULL,
    rank     integer NOT NULL CHECK (rank >= 1),
    movie_id text    NOT NULL,
    score    real,
    reason   text    NOT NULL CHECK (reason IN ('personalized', 'topRated', 'popular')),
    model_id bigint  NOT NULL REFERENCES derived.models,
    PRIMARY KEY (user_id, rank)
);
COMMENT ON TABLE derived.recommendations IS 'Derived: each voter''s top films under the latest model (score null for cold-start picks).';

GRANT USAGE ON SCHEMA derived TO moviemash_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA derived TO moviemash_analyst;
