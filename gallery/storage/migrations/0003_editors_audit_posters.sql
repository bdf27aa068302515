-- Editors of the admin area. There is no default account: the CLI creates every one.
CREATE TABLE editors (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL,
    name_key             TEXT NOT NULL UNIQUE,   -- case-folded name: "Anna" and "anna" are one account
    password_hash        TEXT NOT NULL,          -- scrypt$N$r$p$salt$key; never the password
    created_at           TEXT NOT NULL,
    password_changed_at  TEXT NOT NULL
);

-- Signed-in sessions. The cookie carries a random token; only its hash is kept here, so a copy
-- of the database cannot sign anyone in. Removing an editor removes their sessions.
CREATE TABLE editor_sessions (
    token_hash  TEXT PRIMARY KEY,
    editor_id   INTEGER NOT NULL REFERENCES editors (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL
);
CREATE INDEX editor_sessions_by_editor ON editor_sessions (editor_id);

-- Who did what, when: ids, slugs and the names of changed fields, never their contents, and
-- nothing about visitors. statement_id is cleared when the statement is deleted.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    gallery_slug  TEXT,
    vimeo_id      INTEGER,
    statement_id  INTEGER,
    revision      INTEGER,                 -- the statement's revision after this change
    subject       TEXT,                    -- the account an editor.* action was about
    fields        TEXT NOT NULL DEFAULT '' -- space-separated field names
);
CREATE INDEX audit_by_statement ON audit_log (statement_id, revision);

-- Editors may override Vimeo's title and thumbnail (restricted videos often lack both) and note
-- the caption language passed to the player as texttrack ('' = none given).
ALTER TABLE statements ADD COLUMN title_override TEXT NOT NULL DEFAULT '';
ALTER TABLE statements ADD COLUMN poster TEXT;
ALTER TABLE statements ADD COLUMN caption_lang TEXT NOT NULL DEFAULT 'de';
