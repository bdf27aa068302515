"""Settings from the environment: defaults, every variable, and one clear sentence on bad values."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from gallery.i18n import translate
from gallery.settings import Settings, SettingsError


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {
        "GALLERY_DATA_DIR": str(tmp_path / "data"),
        **{f"GALLERY_{k}": v for k, v in values.items()},
    }


def test_defaults(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    s = Settings.from_environ(env(tmp_path))
    assert s.data_dir == (tmp_path / "data").resolve()
    assert s.vimeo_oembed_url == "https://vimeo.com/api/oembed.json"
    assert s.vimeo_player_url == "https://player.vimeo.com/video/"
    assert s.player_origin == "https://player.vimeo.com"
    assert s.vimeo_thumbnail_hosts == ("i.vimeocdn.com",)
    assert s.vimeo_referer is None
    assert s.frame_ancestors == ("'self'",)
    assert s.consent_max_age_days == 180
    assert s.public_url is None


def test_generated_key_is_private_stable_and_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = Settings.from_environ(env(tmp_path))
    key_file = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "GALLERY_SECRET_KEYS is not set" in caplog.text
    second = Settings.from_environ(env(tmp_path))
    assert first.secret_keys == second.secret_keys
    assert first.secret_keys[0].value not in repr(first)


def test_every_variable(tmp_path: Path) -> None:
    s = Settings.from_environ(
        env(
            tmp_path,
            SECRET_KEYS="new-key-0123456789abcdef, old-key-0123456789abcdef",
            VIMEO_OEMBED_URL="http://127.0.0.1:8001/api/oembed.json",
            VIMEO_PLAYER_URL="http://127.0.0.1:8001/player/video",
            VIMEO_THUMBNAIL_HOSTS="i.vimeocdn.com, 127.0.0.1:8001",
            VIMEO_REFERER="https://www.ratzeburg.de/",
            FRAME_ANCESTORS="'self' https://www.ratzeburg.de,https://amt-lauenburgische-seen.de",
            CONSENT_MAX_AGE_DAYS="90",
            IMAGE_CACHE_MB="16",
            PUBLIC_URL="https://videos.ratzeburg.de/",
        )
    )
    assert [k.value for k in s.secret_keys] == [
        "new-key-0123456789abcdef",
        "old-key-0123456789abcdef",
    ]
    assert s.vimeo_player_url == "http://127.0.0.1:8001/player/video/"
    assert s.vimeo_thumbnail_hosts == ("i.vimeocdn.com", "127.0.0.1:8001")
    assert s.frame_ancestors == (
        "'self'",
        "https://www.ratzeburg.de",
        "https://amt-lauenburgische-seen.de",
    )
    assert s.consent_max_age_seconds == 90 * 86400
    assert s.image_cache_mb == 16
    assert s.public_url == "https://videos.ratzeburg.de"
    assert not (tmp_path / "data" / "secret_key").exists()


@pytest.mark.parametrize(
    ("name", "value", "phrase"),
    [
        ("CONSENT_MAX_AGE_DAYS", "0", "between 1 and 365"),
        ("CONSENT_MAX_AGE_DAYS", "400", "between 1 and 365"),
        ("CONSENT_MAX_AGE_DAYS", "six months", "whole number"),
        ("IMAGE_CACHE_MB", "0", "between 1 and 4096"),
        ("IMAGE_CACHE_MB", "64 MB", "whole number of megabytes"),
        ("SECRET_KEYS", "short", "at least 16"),
        ("VIMEO_OEMBED_URL", "http://vimeo.com/api/oembed.json", "https"),
        ("VIMEO_OEMBED_URL", "not a url", "https"),
        ("VIMEO_PLAYER_URL", "ftp://player.vimeo.com/video/", "https"),
        ("VIMEO_THUMBNAIL_HOSTS", "https://i.vimeocdn.com/", "host:port"),
        ("VIMEO_THUMBNAIL_HOSTS", "i.vimeocdn.com:99999", "host:port"),
        ("FRAME_ANCESTORS", "https://*.ratzeburg.de", "exact origins"),
        ("FRAME_ANCESTORS", "https://www.ratzeburg.de/videos", "exact origins"),
        ("FRAME_ANCESTORS", "*", "exact origins"),
        ("FRAME_ANCESTORS", "www.ratzeburg.de", "exact origins"),
        # a semicolon would end the directive and inject another one into the CSP header
        ("FRAME_ANCESTORS", "https://www.ratzeburg.de;script-src", "exact origins"),
        ("FRAME_ANCESTORS", "https://www.ratzeburg.de:99999", "exact origins"),
        ("COOKIE_MODE", "third-party", "same-site or cross-site"),
        ("IMPRINT_URL", "impressum.html", "absolute"),
        ("PRIVACY_POLICY_URL", "javascript:alert(1)", "absolute"),
        ("ACCESSIBILITY_CONTACT", "barrierefreiheit at stadt.de", "e-mail address"),
        ("ACCESSIBILITY_CONTACT", "javascript:alert(1)", "e-mail address"),
        ("PUBLIC_URL", "videos.ratzeburg.de", "absolute"),
        ("VIMEO_REFERER", "ratzeburg.de", "absolute"),
        ("ACCESSIBILITY_CREATED", "27.11.2026", "YYYY-MM-DD"),
        ("ACCESSIBILITY_CREATED", "20261127", "YYYY-MM-DD"),
        ("ACCESSIBILITY_CREATED", "2026-02-30", "YYYY-MM-DD"),
        ("ACCESSIBILITY_REVIEWED", "gestern", "YYYY-MM-DD"),
        ("ACCESSIBILITY_REVIEWED", "2999-01-01", "in the future"),
    ],
)
def test_bad_values_stop_the_start_with_one_sentence(
    tmp_path: Path, name: str, value: str, phrase: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ(env(tmp_path, **{name: value}))
    german, english = str(caught.value), translate("en", caught.value.message)
    for message in (german, english):
        assert f"GALLERY_{name}" in message
        assert message.endswith(".") and "\n" not in message
    assert phrase in english and german != english  # German by default, English on request


def test_accessibility_statement_dates(tmp_path: Path) -> None:
    dates = {"ACCESSIBILITY_CREATED": "2026-11-27", "ACCESSIBILITY_REVIEWED": "2026-12-01"}
    s = Settings.from_environ(env(tmp_path, **dates))
    assert (s.accessibility_created, s.accessibility_reviewed) == (date(2026, 11, 27), date(2026, 12, 1))
    unset = Settings.from_environ(env(tmp_path))
    assert unset.accessibility_created is None and unset.accessibility_reviewed is None
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ(env(tmp_path, **{**dates, "ACCESSIBILITY_REVIEWED": "2026-01-05"}))
    assert translate("en", caught.value.message) == (
        "GALLERY_ACCESSIBILITY_REVIEWED (2026-01-05) must not be earlier than "
        "GALLERY_ACCESSIBILITY_CREATED (2026-11-27)."
    )


def test_unusable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SettingsError, match="GALLERY_DATA_DIR"):
        Settings.from_environ({"GALLERY_DATA_DIR": str(blocker / "data")})


def test_nothing_is_read_at_import_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    import gallery.app

    monkeypatch.setenv("GALLERY_CONSENT_MAX_AGE_DAYS", "not a number")
    importlib.reload(gallery.app)  # importing must not read or validate the environment


MALFORMED_HOSTS = ["https://[abc]", "https://[1.2.3.4]", "http://[::1", "https://example.org:99999"]


@pytest.mark.parametrize(
    "name",
    [
        "FRAME_ANCESTORS",
        "PUBLIC_URL",
        "VIMEO_REFERER",
        "IMPRINT_URL",
        "PRIVACY_POLICY_URL",
        "ACCESSIBILITY_CONTACT",
        "VIMEO_OEMBED_URL",
        "VIMEO_PLAYER_URL",
    ],
)
@pytest.mark.parametrize("value", MALFORMED_HOSTS)
def test_a_malformed_host_or_port_in_any_address_setting_is_one_sentence(
    tmp_path: Path, name: str, value: str
) -> None:
    # urllib and ipaddress raise their own ValueErrors for these; the start must not show them.
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ(env(tmp_path, **{name: value + ("/x" if "URL" in name else "")}))
    message = translate("en", caught.value.message)
    assert type(caught.value) is SettingsError
    assert message.startswith(f"GALLERY_{name} must ") and repr(value)[:-1] in message
    assert message.endswith(".") and "\n" not in message
    assert str(caught.value).startswith(f"GALLERY_{name} ") and repr(value)[:-1] in str(caught.value)


def test_frame_ancestors_are_kept_in_their_one_spelling(tmp_path: Path) -> None:
    s = Settings.from_environ(
        env(tmp_path, FRAME_ANCESTORS="'self' HTTPS://WWW.Ratzeburg.de/ https://www.ratzeburg.de")
    )
    assert s.frame_ancestors == ("'self'", "https://www.ratzeburg.de")


@hypothesis.settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.one_of(st.text(max_size=40), st.sampled_from(MALFORMED_HOSTS)).filter(lambda v: "\x00" not in v)
)
def test_any_frame_ancestors_value_starts_or_stops_with_one_sentence(tmp_path: Path, value: str) -> None:
    try:
        s = Settings.from_environ(env(tmp_path, SECRET_KEYS="k" * 16, FRAME_ANCESTORS=value))
    except SettingsError as exc:
        assert type(exc) is SettingsError
        assert str(exc).startswith("GALLERY_FRAME_ANCESTORS") and "\n" not in str(exc)
        return
    assert all(a in {"'self'", "'none'"} or a.startswith(("http://", "https://")) for a in s.frame_ancestors)


# --- the database ------------------------------------------------------------------------

PASSWORD = "Geheim-Passwort-42"
KEYS = "new-key-0123456789abcdef"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "PostgreSQL"])
def test_a_postgresql_url_picks_postgresql_and_never_shows_its_password(tmp_path: Path, scheme: str) -> None:
    url = f"{scheme}://gallery:{PASSWORD}@db.stadt.de:5433/galerie?sslmode=require"
    s = Settings.from_environ(env(tmp_path, DATABASE_URL=url, SECRET_KEYS=KEYS))
    assert s.database_url is not None and s.database_url.value == url
    assert s.database_place == "db.stadt.de:5433/galerie"
    assert PASSWORD not in repr(s) and PASSWORD not in str(s)
    assert not (tmp_path / "data" / "secret_key").exists()


def test_without_a_database_url_the_data_stays_in_sqlite(tmp_path: Path) -> None:
    s = Settings.from_environ(env(tmp_path))
    assert s.database_url is None and s.database_place == str(s.database_path)


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        (f"mysql://gallery:{PASSWORD}@db:3306/gallery", "begins with mysql://"),
        (f"sqlite:///{PASSWORD}/gallery.sqlite3", "begins with sqlite://"),
        (f"gallery:{PASSWORD}@db/gallery", "does not begin with postgresql://"),
        (f"postgresql://gallery:{PASSWORD}@db:99999/gallery", "host or port"),
        (f"postgresql://gallery:{PASSWORD}@db:port/gallery", "host or port"),
        (f"postgresql://gallery:{PASSWORD}@[::1/gallery", "host or port"),
        (f"postgresql://gallery:{PASSWORD} @db/gallery", "spaces or control characters"),
    ],
)
def test_a_database_url_that_is_not_postgresql_stops_the_start_with_one_sentence(
    tmp_path: Path, url: str, phrase: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ(env(tmp_path, DATABASE_URL=url, SECRET_KEYS=KEYS))
    german, english = str(caught.value), translate("en", caught.value.message)
    for message in (german, english):
        assert "GALLERY_DATABASE_URL" in message and PASSWORD not in message
        assert message.endswith(".") and "\n" not in message
    assert phrase in english and german != english


def test_postgresql_needs_the_secret_keys_set(tmp_path: Path) -> None:
    url = f"postgresql://gallery:{PASSWORD}@db/gallery"
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ(env(tmp_path, DATABASE_URL=url))
    english = translate("en", caught.value.message)
    assert "GALLERY_SECRET_KEYS" in english and "cookies" in english and PASSWORD not in english
    assert english.endswith(".") and english.count(". ") == 0
    assert not (tmp_path / "data" / "secret_key").exists(), "no key of its own was made"
