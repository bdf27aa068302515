-- Smaller copies of every thumbnail and poster, made once when the picture is stored: pages offer
-- them in srcset, so a phone loads a picture the width it shows. Each copy is an image of its own
-- in the image store (files beside SQLite, the images table with PostgreSQL), under the
-- content-hash name of its own bytes; this table says which picture it was made from.
CREATE TABLE image_variants (
    source   TEXT NOT NULL,       -- the stored picture it was made from
    format   TEXT NOT NULL,       -- webp | jpg
    width    INTEGER NOT NULL,
    height   INTEGER NOT NULL,
    name     TEXT NOT NULL,       -- the copy's own name in the image store
    created  TEXT NOT NULL,
    PRIMARY KEY (source, format, width)
);
