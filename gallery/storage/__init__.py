"""Where data lives: the SQLite database, its migrations and queries, stored images, backups."""
