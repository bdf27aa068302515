-- Background refresh (gallery/schedule.py). Times are Unix seconds (REAL): sub-second precision
-- for short test intervals, and plain arithmetic for backoff.

-- When each video is next asked about, and how many attempts in a row have failed.
CREATE TABLE refresh_schedule (
    vimeo_id    INTEGER PRIMARY KEY REFERENCES videos (vimeo_id) ON DELETE CASCADE,
    next_check  REAL NOT NULL,
    failures    INTEGER NOT NULL DEFAULT 0
);

-- One row for the whole service: which process is refreshing (a lease that expires, so a killed
-- process never blocks the others), and until when Vimeo is left alone after it had trouble.
CREATE TABLE refresh_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    holder        TEXT NOT NULL DEFAULT '',
    lease_until   REAL NOT NULL DEFAULT 0,
    paused_until  REAL NOT NULL DEFAULT 0,
    failures      INTEGER NOT NULL DEFAULT 0,
    reason        TEXT NOT NULL DEFAULT ''
);
INSERT INTO refresh_state (id) VALUES (1);
