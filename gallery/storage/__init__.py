"""Where data lives: the one storage interface, its queries, the SQLite engine, stored images, backups."""
