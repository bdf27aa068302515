-- Each gallery has a language (its visitors' default) and may narrow or widen who may embed it.
ALTER TABLE galleries ADD COLUMN lang TEXT NOT NULL DEFAULT 'de';
-- Space-separated exact origins for CSP frame-ancestors; empty means GALLERY_FRAME_ANCESTORS.
ALTER TABLE galleries ADD COLUMN frame_ancestors TEXT NOT NULL DEFAULT '';
