"""Every test here that reads or writes through ``Storage`` runs on both engines."""

from __future__ import annotations

import pytest

from tests.postgres import ENGINES


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    """SQLite and PostgreSQL in turn; a module whose tests look at the SQLite file overrides it."""
    return str(request.param)
