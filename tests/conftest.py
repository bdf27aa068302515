"""Fixtures: settings on a temporary data dir, the app, and a client speaking https."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.settings import Secret, Settings

TEST_KEY = "test-key-0123456789abcdef"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_keys=(Secret(TEST_KEY),)).checked()


@pytest.fixture
def app(settings: Settings) -> Starlette:
    return create_app(settings)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    # https: the consent cookie is __Host- prefixed and Secure.
    with TestClient(app, base_url="https://gallery.test") as client:
        yield client
