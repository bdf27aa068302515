-- What the editors' search box compares with: a statement's title (the editor's or Vimeo's),
-- speaker, role and quote, case-folded and normalised in Python (gallery.storage.statements.fold),
-- so that SQLite and PostgreSQL find the same statements for "ä", "Ä", "ß" or "SS" alike.
-- NULL until filled: the service fills every empty one when it starts (Storage.migrate).
ALTER TABLE statements ADD COLUMN search_text TEXT;
