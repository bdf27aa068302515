-- Galleries are topics or campaigns of one town; exactly one is the default.
CREATE TABLE galleries (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    intro       TEXT NOT NULL DEFAULT '',
    is_default  INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX galleries_one_default ON galleries (is_default) WHERE is_default = 1;

-- What Vimeo told us about a video, fetched once for all galleries that show it.
CREATE TABLE videos (
    vimeo_id       INTEGER PRIMARY KEY,
    unlisted_hash  TEXT,
    title          TEXT NOT NULL DEFAULT '',
    author_name    TEXT NOT NULL DEFAULT '',
    duration       INTEGER,
    width          INTEGER,
    height         INTEGER,
    upload_date    TEXT,
    thumbnail_url  TEXT,            -- where the thumbnail came from; never shown to visitors
    thumbnail      TEXT,            -- content-hash name in the local thumbnail store
    fetch_status   TEXT NOT NULL,   -- ok | restricted | not_found | forbidden | error
    fetch_message  TEXT NOT NULL DEFAULT '',
    fetched_at     TEXT,            -- last attempt
    good_at        TEXT             -- last attempt that brought usable data
);

-- A statement is a video placed in a gallery, with the texts editors write for it.
CREATE TABLE statements (
    id            INTEGER PRIMARY KEY,
    gallery_id    INTEGER NOT NULL REFERENCES galleries (id) ON DELETE CASCADE,
    vimeo_id      INTEGER NOT NULL REFERENCES videos (vimeo_id),
    position      INTEGER NOT NULL,
    published     INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    speaker_name  TEXT NOT NULL DEFAULT '',
    speaker_role  TEXT NOT NULL DEFAULT '',
    quote         TEXT NOT NULL DEFAULT '',
    transcript    TEXT NOT NULL DEFAULT '',
    alt_text      TEXT NOT NULL DEFAULT '',
    revision      INTEGER NOT NULL DEFAULT 1,   -- bumped on every edit (detects lost updates)
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (gallery_id, vimeo_id)
);
CREATE INDEX statements_by_video ON statements (vimeo_id);
CREATE INDEX statements_in_order ON statements (gallery_id, position);

-- Every consent notice ever shown, with the moment it was first shown: consent is provable
-- from the version in the visitor's cookie without keeping anything about the visitor.
CREATE TABLE notice_versions (
    version      TEXT PRIMARY KEY,
    first_shown  TEXT NOT NULL,
    short_text   TEXT NOT NULL,
    full_text    TEXT NOT NULL
);
