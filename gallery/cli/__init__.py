"""The ``gallery`` command, grouped as the README groups it, and the offline demo."""
