-- Several towns on one installation. Every installation has at least one town, the default
-- (id 1): with no towns configured it takes its addresses and legal texts from the settings,
-- as before. Galleries, editors, sessions, the audit trail and notice versions belong to one
-- town; statements belong to theirs through their gallery. Videos, images and the refresh
-- schedule stay shared: they hold what Vimeo says, which is the same for every town.
CREATE TABLE towns (
    id                      INTEGER PRIMARY KEY,
    key                     TEXT NOT NULL UNIQUE,     -- short name for the command line
    name                    TEXT NOT NULL DEFAULT '',
    operator_name           TEXT NOT NULL DEFAULT '',
    hosts                   TEXT NOT NULL DEFAULT '', -- space-separated exact host[:port] names
    public_url              TEXT NOT NULL DEFAULT '',
    imprint_url             TEXT NOT NULL DEFAULT '',
    privacy_policy_url      TEXT NOT NULL DEFAULT '',
    accessibility_contact   TEXT NOT NULL DEFAULT '',
    accessibility_created   TEXT NOT NULL DEFAULT '',
    accessibility_reviewed  TEXT NOT NULL DEFAULT '',
    frame_ancestors         TEXT NOT NULL DEFAULT '',
    cookie_mode             TEXT NOT NULL DEFAULT '',
    lang                    TEXT NOT NULL DEFAULT '',
    vimeo_referer           TEXT NOT NULL DEFAULT '',
    accent                  TEXT NOT NULL DEFAULT '',
    logo                    TEXT,
    logo_alt                TEXT NOT NULL DEFAULT '',
    is_default              INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    revision                INTEGER NOT NULL DEFAULT 1  -- bumped on every change: rebuilds its pages
);
CREATE UNIQUE INDEX towns_one_default ON towns (is_default) WHERE is_default = 1;
INSERT INTO towns (id, key, is_default) VALUES (1, 'default', 1);

-- A town's own texts: the consent notice (kind 'notice', names 'short' and 'full') and the
-- accessibility statement (kind 'accessibility'), per language. None: the data folder's copy
-- (the default town) or the shipped one.
CREATE TABLE town_texts (
    town_id  INTEGER NOT NULL REFERENCES towns (id),
    kind     TEXT NOT NULL,
    lang     TEXT NOT NULL,
    name     TEXT NOT NULL,
    text     TEXT NOT NULL,
    PRIMARY KEY (town_id, kind, lang, name)
);

-- SQLite changes a constraint only by rebuilding the table (foreign keys are off meanwhile, so
-- that dropping the old one takes no statements with it). Columns keep their order, the new
-- one last, as PostgreSQL's ALTER TABLE adds it.
CREATE TABLE galleries_new (
    id               INTEGER PRIMARY KEY,
    slug             TEXT NOT NULL,
    title            TEXT NOT NULL,
    intro            TEXT NOT NULL DEFAULT '',
    is_default       INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    lang             TEXT NOT NULL DEFAULT 'de',
    frame_ancestors  TEXT NOT NULL DEFAULT '',
    accent           TEXT NOT NULL DEFAULT '',
    logo             TEXT,
    logo_alt         TEXT NOT NULL DEFAULT '',
    town_id          INTEGER NOT NULL DEFAULT 1 REFERENCES towns (id),
    UNIQUE (town_id, slug)
);
INSERT INTO galleries_new SELECT *, 1 FROM galleries;
DROP TABLE galleries;
ALTER TABLE galleries_new RENAME TO galleries;
CREATE UNIQUE INDEX galleries_one_default ON galleries (town_id) WHERE is_default = 1;

-- Editors belong to one town; an operator (town_id NULL) to every town. A name is one account
-- within a town (and among operators).
CREATE TABLE editors_new (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL,
    name_key             TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    password_changed_at  TEXT NOT NULL,
    town_id              INTEGER DEFAULT 1 REFERENCES towns (id)
);
INSERT INTO editors_new SELECT *, 1 FROM editors;
DROP TABLE editors;
ALTER TABLE editors_new RENAME TO editors;
CREATE UNIQUE INDEX editors_one_name ON editors (COALESCE(town_id, 0), name_key);

-- A session is valid on the host of the town it was opened on only.
ALTER TABLE editor_sessions ADD COLUMN town_id INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN town_id INTEGER NOT NULL DEFAULT 1;
CREATE INDEX audit_by_town ON audit_log (town_id, id);

-- Each town has its own notice versions (its controller differs).
CREATE TABLE notice_versions_new (
    version      TEXT NOT NULL,
    first_shown  TEXT NOT NULL,
    short_text   TEXT NOT NULL,
    full_text    TEXT NOT NULL,
    town_id      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (town_id, version)
);
INSERT INTO notice_versions_new SELECT *, 1 FROM notice_versions;
DROP TABLE notice_versions;
ALTER TABLE notice_versions_new RENAME TO notice_versions;
