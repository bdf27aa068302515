-- PostgreSQL's spelling of ../0004_refresh_schedule.sql: Unix seconds as DOUBLE PRECISION
-- (PostgreSQL's REAL has only 4 bytes, far too few for a timestamp).

-- When each video is next asked about, and how many attempts in a row have failed.
CREATE TABLE refresh_schedule (
    vimeo_id    BIGINT PRIMARY KEY REFERENCES videos (vimeo_id) ON DELETE CASCADE,
    next_check  DOUBLE PRECISION NOT NULL,
    failures    BIGINT NOT NULL DEFAULT 0
);

-- One row for the whole service: which process is refreshing (a lease that expires, so a killed
-- process never blocks the others), and until when Vimeo is left alone after it had trouble.
CREATE TABLE refresh_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    holder        TEXT NOT NULL DEFAULT '',
    lease_until   DOUBLE PRECISION NOT NULL DEFAULT 0,
    paused_until  DOUBLE PRECISION NOT NULL DEFAULT 0,
    failures      BIGINT NOT NULL DEFAULT 0,
    reason        TEXT NOT NULL DEFAULT ''
);
INSERT INTO refresh_state (id) VALUES (1);
