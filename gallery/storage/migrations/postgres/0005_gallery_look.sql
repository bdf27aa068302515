-- A town's own look per gallery: an accent colour ('#rrggbb'; '' is the service's own colour,
-- checked for contrast before it is stored), and a logo in the image store with its text.
ALTER TABLE galleries ADD COLUMN accent TEXT NOT NULL DEFAULT '';
ALTER TABLE galleries ADD COLUMN logo TEXT;
ALTER TABLE galleries ADD COLUMN logo_alt TEXT NOT NULL DEFAULT '';
