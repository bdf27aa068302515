-- What several instances must share besides the statements. Images: PostgreSQL installations
-- keep thumbnails, posters and logos here (content-hash names, never changed once written);
-- SQLite installations keep them as files in the data folder and leave this table empty.
CREATE TABLE images (
    name     TEXT PRIMARY KEY,   -- the content-hash name pages link to
    type     TEXT NOT NULL,      -- the media type its bytes show
    data     BLOB NOT NULL,
    created  TEXT NOT NULL
);

-- Failed sign-ins, counted per account, device cookie and client address. The key is an HMAC
-- under the secret key: no address, name or cookie is stored in clear. Rows go once their
-- window has passed.
CREATE TABLE signin_attempts (
    key            TEXT PRIMARY KEY,
    failures       INTEGER NOT NULL,
    blocked_until  REAL NOT NULL,
    last           REAL NOT NULL
);
CREATE INDEX signin_attempts_by_last ON signin_attempts (last);
