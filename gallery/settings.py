"""Typed, frozen settings read from ``GALLERY_*`` environment variables at start-up.

One module although past 300 lines: every setting, its default and its check side by side, the
one place the settings table in docs/operations.md is held against.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from . import private
from .errors import UserError
from .i18n import fill, os_reason
from .i18n import gettext_noop as N_
from .origins import OriginError, origin_of_url, parse_frame_ancestor

log = logging.getLogger("gallery")

KEY_FILE_NAME = "secret_key"
DEFAULT_OEMBED_URL = "https://vimeo.com/api/oembed.json"
DEFAULT_PLAYER_URL = "https://player.vimeo.com/video/"
DEFAULT_THUMBNAIL_HOSTS = ("i.vimeocdn.com",)
MAX_CONSENT_DAYS = 365
HOST_RE = re.compile(
    r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)"
    r"(:(?P<port>[0-9]{1,5}))?"
)


class SettingsError(UserError, ValueError):
    """A setting has a value the service cannot start with; the message is one sentence.

    ``message`` is German, made with :func:`~gallery.i18n.fill`, so the command line can show it
    in English too.
    """

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(fill(message, **params))


class MissingDataDir(SettingsError):
    """The data folder does not exist, and this command may not create it."""

    def __init__(self, folder: Path) -> None:
        super().__init__(N_("Den Datenordner %(folder)s gibt es nicht."), folder=str(folder))
        self.folder = folder


@dataclass(frozen=True, slots=True)
class Secret:
    """A secret string that never shows itself in logs, reprs or tracebacks."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


def is_loopback_host(host: str | None) -> bool:
    """True for localhost and loopback IP literals (the stand-in's hosts)."""
    if not host:
        return False
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service can be configured with; build it with :meth:`from_environ`."""

    data_dir: Path
    secret_keys: tuple[Secret, ...]
    vimeo_oembed_url: str = DEFAULT_OEMBED_URL
    vimeo_player_url: str = DEFAULT_PLAYER_URL
    vimeo_thumbnail_hosts: tuple[str, ...] = DEFAULT_THUMBNAIL_HOSTS
    vimeo_referer: str | None = None
    frame_ancestors: tuple[str, ...] = ("'self'",)
    consent_max_age_days: int = 180
    public_url: str | None = None
    # same-site (gallery on a subdomain of the town's site) or cross-site (any other embedding)
    cookie_mode: str = "same-site"
    # The town's own pages, linked from every footer; the operator's name for the statements.
    imprint_url: str | None = None
    privacy_policy_url: str | None = None
    accessibility_contact: str | None = None  # e-mail address or URL for accessibility feedback
    # When the accessibility statement was made and last reviewed (BITV 2.0 asks for both dates).
    accessibility_created: date | None = None
    accessibility_reviewed: date | None = None
    operator_name: str = ""
    # Editors' sessions.
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    # Background refresh of Vimeo metadata.
    refresh_hours: int = 24
    # Host names (optionally with port) the service answers for besides the public URL's host;
    # with neither set, only loopback names are answered.
    allowed_hosts: tuple[str, ...] = ()
    # Peers whose X-Forwarded-For/-Proto are believed: IP addresses or networks, none by default.
    trusted_proxies: tuple[str, ...] = ()
    # postgresql://… for PostgreSQL; None keeps the data in the SQLite file in data_dir. A secret:
    # the URL may carry the password.
    database_url: Secret | None = None
    # Megabytes of thumbnails, posters and logos each instance keeps in memory; None: the image
    # store's own default (small for files, which the operating system caches; more for PostgreSQL).
    image_cache_mb: int | None = None

    @property
    def player_origin(self) -> str:
        return origin_of(self.vimeo_player_url)

    @property
    def consent_max_age_seconds(self) -> int:
        return self.consent_max_age_days * 86400

    @property
    def database_path(self) -> Path:
        return self.data_dir / "gallery.sqlite3"

    @property
    def database_place(self) -> str:
        """Where the PostgreSQL database is, for messages: ``host:port/database``, never user or password."""
        if self.database_url is None:
            return str(self.database_path)
        parts = urlsplit(self.database_url.value)
        hosts = parts.netloc.rpartition("@")[2] or "localhost"
        return f"{hosts}{parts.path}"

    @property
    def thumbnail_dir(self) -> Path:
        return self.data_dir / "thumbnails"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, *, create: bool = True) -> Settings:
        """Read and check every ``GALLERY_*`` variable; raise :class:`SettingsError` on bad input.

        With ``create=False`` the data folder must exist (:class:`MissingDataDir`): nothing is made.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(f"GALLERY_{name}")
            return value.strip() if value is not None and value.strip() else None

        data_dir = Path(get("DATA_DIR") or "./data").expanduser().resolve()
        hosts_raw = get("VIMEO_THUMBNAIL_HOSTS")
        settings = cls(
            data_dir=data_dir,
            secret_keys=_parse_keys(get("SECRET_KEYS")),
            vimeo_oembed_url=get("VIMEO_OEMBED_URL") or DEFAULT_OEMBED_URL,
            vimeo_player_url=get("VIMEO_PLAYER_URL") or DEFAULT_PLAYER_URL,
            vimeo_thumbnail_hosts=(_split(hosts_raw) if hosts_raw is not None else DEFAULT_THUMBNAIL_HOSTS),
            vimeo_referer=get("VIMEO_REFERER"),
            frame_ancestors=_split(get("FRAME_ANCESTORS") or "'self'"),
            consent_max_age_days=_int(get, "CONSENT_MAX_AGE_DAYS", 180, "days"),
            public_url=get("PUBLIC_URL"),
            cookie_mode=(get("COOKIE_MODE") or "same-site").lower(),
            imprint_url=get("IMPRINT_URL"),
            privacy_policy_url=get("PRIVACY_POLICY_URL"),
            accessibility_contact=get("ACCESSIBILITY_CONTACT"),
            accessibility_created=_date(get, "ACCESSIBILITY_CREATED"),
            accessibility_reviewed=_date(get, "ACCESSIBILITY_REVIEWED"),
            operator_name=get("OPERATOR_NAME") or "",
            session_idle_minutes=_int(get, "SESSION_IDLE_MINUTES", 30, "minutes"),
            session_max_hours=_int(get, "SESSION_MAX_HOURS", 12, "hours"),
            refresh_hours=_int(get, "REFRESH_HOURS", 24, "hours"),
            allowed_hosts=_split(get("ALLOWED_HOSTS") or ""),
            trusted_proxies=_split(get("TRUSTED_PROXIES") or ""),
            database_url=Secret(url) if (url := get("DATABASE_URL")) else None,
            image_cache_mb=None
            if get("IMAGE_CACHE_MB") is None
            else _int(get, "IMAGE_CACHE_MB", 0, "megabytes"),
        )
        settings = settings.checked()
        if not create and not data_dir.is_dir():
            raise MissingDataDir(data_dir)
        if not settings.secret_keys:
            settings = replace(settings, secret_keys=(load_or_create_key(data_dir),))
        return settings

    def checked(self) -> Settings:
        """Validate every field and return a normalised copy."""
        for name, value, low, high in (
            ("CONSENT_MAX_AGE_DAYS", self.consent_max_age_days, 1, MAX_CONSENT_DAYS),
            ("SESSION_IDLE_MINUTES", self.session_idle_minutes, 1, 24 * 60),
            ("SESSION_MAX_HOURS", self.session_max_hours, 1, 7 * 24),
            ("REFRESH_HOURS", self.refresh_hours, 1, 30 * 24),
            ("IMAGE_CACHE_MB", self.image_cache_mb, 1, 4096),
        ):
            if value is not None and not low <= value <= high:
                raise SettingsError(
                    N_("%(name)s muss zwischen %(low)s und %(high)s liegen, nicht %(value)s."),
                    name=f"GALLERY_{name}",
                    low=low,
                    high=high,
                    value=value,
                )
        if self.cookie_mode not in {"same-site", "cross-site"}:
            raise SettingsError(
                N_("GALLERY_COOKIE_MODE muss same-site oder cross-site sein, nicht %(value)s."),
                value=repr(self.cookie_mode),
            )
        for name, url in (
            ("IMPRINT_URL", self.imprint_url),
            ("PRIVACY_POLICY_URL", self.privacy_policy_url),
        ):
            if url is not None:
                _split_url(url, f"GALLERY_{name}", ABSOLUTE_URL)
        contact = self.accessibility_contact
        if contact is not None and not re.fullmatch(r"(mailto:)?[^@\s:/]+@[^@\s/]+\.[^@\s/]+", contact):
            _split_url(contact, "GALLERY_ACCESSIBILITY_CONTACT", MAIL_OR_URL)
        _check_statement_dates(self.accessibility_created, self.accessibility_reviewed)
        _check_service_url("GALLERY_VIMEO_OEMBED_URL", self.vimeo_oembed_url)
        _check_service_url("GALLERY_VIMEO_PLAYER_URL", self.vimeo_player_url)
        player_url = self.vimeo_player_url
        if not player_url.endswith("/"):
            player_url += "/"
        if not self.vimeo_thumbnail_hosts:
            raise SettingsError(N_("GALLERY_VIMEO_THUMBNAIL_HOSTS muss mindestens einen Host nennen."))
        for host in self.vimeo_thumbnail_hosts:
            parts = urlsplit(f"//{host}")
            try:
                port_ok = parts.port is None or 0 < parts.port < 65536
            except ValueError:
                port_ok = False
            if not parts.hostname or parts.netloc != host.lower() or not port_ok:
                raise SettingsError(
                    N_(
                        "GALLERY_VIMEO_THUMBNAIL_HOSTS darf nur Einträge wie host oder host:port haben, "
                        "nicht %(value)s."
                    ),
                    value=repr(host),
                )
        frame_ancestors = tuple(dict.fromkeys(_frame_ancestor(source) for source in self.frame_ancestors))
        public_url = self.public_url
        if public_url is not None:
            parts = _split_url(public_url, "GALLERY_PUBLIC_URL", URL_SUCH_AS, "https://videos.example.de")
            if parts.query:
                raise SettingsError(
                    URL_SUCH_AS,
                    name="GALLERY_PUBLIC_URL",
                    example="https://videos.example.de",
                    value=repr(public_url),
                    reason=fill(N_("hat eine Abfrage (?…)")),
                )
            public_url = public_url.rstrip("/")
        if self.vimeo_referer is not None:
            _split_url(self.vimeo_referer, "GALLERY_VIMEO_REFERER", URL_SUCH_AS, "https://www.stadt.de/")
        if self.database_url is not None:
            check_database_url(self.database_url.value)
            if not self.secret_keys:
                raise SettingsError(
                    N_(
                        "Mit GALLERY_DATABASE_URL braucht jede Instanz dieselben Schlüssel in "
                        "GALLERY_SECRET_KEYS: Mit je einem selbst erzeugten würde jede die Cookies der "
                        "anderen ablehnen."
                    )
                )
        return replace(
            self,
            frame_ancestors=frame_ancestors,
            vimeo_player_url=player_url,
            vimeo_thumbnail_hosts=tuple(h.lower() for h in self.vimeo_thumbnail_hosts),
            public_url=public_url,
            allowed_hosts=tuple(check_allowed_host(h) for h in self.allowed_hosts),
            trusted_proxies=check_trusted_proxies(self.trusted_proxies),
        )


def _frame_ancestor(source: str) -> str:
    try:
        return parse_frame_ancestor(source)
    except OriginError as exc:
        raise SettingsError(
            N_(
                "GALLERY_FRAME_ANCESTORS darf nur 'self', 'none' oder genaue Adressen wie "
                "https://www.stadt.de nennen (ohne Sternchen, ohne Pfad), nicht %(value)s: sie %(reason)s."
            ),
            value=exc.shown,
            reason=fill(exc.reason),
        ) from None


# What an address setting must be; each is followed by the refused value and why (the origin parser's clause).
ABSOLUTE_URL = N_("%(name)s muss eine absolute http(s)-Adresse sein, nicht %(value)s: sie %(reason)s.")
URL_SUCH_AS = N_(
    "%(name)s muss eine absolute http(s)-Adresse wie %(example)s sein, nicht %(value)s: sie %(reason)s."
)
MAIL_OR_URL = N_(
    "%(name)s muss eine E-Mail-Adresse oder eine absolute http(s)-Adresse sein, nicht %(value)s: "
    "sie %(reason)s."
)
SERVICE_URL = N_(
    "%(name)s muss eine https-Adresse sein (http nur für Loopback), nicht %(value)s: sie %(reason)s."
)


def _split_url(url: str, name: str, sentence: str, example: str = "") -> SplitResult:
    """``urlsplit`` of a URL setting whose scheme, host and port the origin parser accepted."""
    try:
        origin_of_url(url)
    except OriginError as exc:
        raise SettingsError(
            sentence, name=name, value=exc.shown, reason=fill(exc.reason), example=example
        ) from None
    return urlsplit(url)


DATABASE_URL = N_(
    "GALLERY_DATABASE_URL muss eine Adresse wie postgresql://nutzer@host:5432/gallery sein "
    "(ohne die Variable liegen die Daten in SQLite im Datenordner), aber sie %(reason)s."
)
DATABASE_SCHEMES = ("postgresql", "postgres")


def check_database_url(url: str) -> None:
    """A PostgreSQL connection URL as libpq reads it; the message never repeats the URL (its password)."""

    def refuse(reason: str, **params: object) -> SettingsError:
        return SettingsError(DATABASE_URL, reason=fill(reason, **params))

    if any(char.isspace() or not char.isprintable() for char in url):
        raise refuse(N_("enthält Leer- oder Steuerzeichen"))
    scheme, separator, rest = url.partition("://")
    if not separator or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        raise refuse(N_("beginnt nicht mit postgresql://"))
    if scheme.lower() not in DATABASE_SCHEMES:
        raise refuse(N_("beginnt mit %(scheme)s:// statt postgresql://"), scheme=scheme)
    hosts = rest.partition("/")[0].partition("?")[0].rpartition("@")[2]
    # libpq takes several hosts for fail-over: host1:5432,host2:5432; IPv6 addresses in brackets.
    for host in hosts.split(",") if hosts else ():
        found = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]]*)(?::([0-9]*))?", host)
        port = found.group(2) if found else "x"
        if found is None or (port is not None and not (port.isdigit() and 0 < int(port) < 65536)):
            raise refuse(N_("hat einen ungültigen Host oder Port"))


def check_allowed_host(entry: str) -> str:
    """One exact ``host`` or ``host:port`` (IPv6 in brackets), normalised to what a Host header says."""
    found = HOST_RE.fullmatch(entry.lower())
    name, port = (found.group("name"), found.group("port")) if found else ("", None)
    if name.startswith("["):
        try:
            name = f"[{ipaddress.IPv6Address(name[1:-1]).compressed}]"
        except ValueError:
            name = ""
    elif name and name.replace(".", "").isdigit():
        try:
            name = str(ipaddress.IPv4Address(name))
        except ValueError:
            name = ""
    if not name or (port is not None and not 0 < int(port) < 65536):
        raise SettingsError(
            N_(
                "GALLERY_ALLOWED_HOSTS darf nur genaue Hostnamen wie videos.stadt.de oder host:port "
                "nennen (ohne Sternchen, Schema oder Pfad), nicht %(value)s."
            ),
            value=repr(entry),
        )
    return name if port is None else f"{name}:{int(port)}"


def check_trusted_proxies(entries: tuple[str, ...], name: str = "GALLERY_TRUSTED_PROXIES") -> tuple[str, ...]:
    """IP addresses or networks (CIDR), normalised; anything else (``*``, host names) is refused."""
    found = []
    for entry in entries:
        try:
            found.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise SettingsError(
                N_(
                    "%(name)s darf nur IP-Adressen oder Netze wie 127.0.0.1 oder 10.0.0.0/8 nennen, "
                    "nicht %(value)s."
                ),
                name=name,
                value=repr(entry),
            ) from None
    return tuple(found)


UNITS = {"days": N_("Tagen"), "minutes": N_("Minuten"), "hours": N_("Stunden"), "megabytes": N_("Megabyte")}


def _int(get: Callable[[str], str | None], name: str, default: int, unit: str) -> int:
    raw = get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(
            N_("%(name)s muss eine ganze Zahl von %(unit)s sein, nicht %(value)s."),
            name=f"GALLERY_{name}",
            unit=fill(UNITS[unit]),
            value=repr(raw),
        ) from None


def _date(get: Callable[[str], str | None], name: str) -> date | None:
    raw = get(name)
    if raw is None:
        return None
    message = N_("%(name)s muss ein Datum in der Form JJJJ-MM-TT sein, etwa 2026-11-27, nicht %(value)s.")
    # Only the one spelling: fromisoformat alone would also take 20261127 or 2026-W48-5.
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        raise SettingsError(message, name=f"GALLERY_{name}", value=repr(raw))
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(message, name=f"GALLERY_{name}", value=repr(raw)) from None


def _check_statement_dates(created: date | None, reviewed: date | None) -> None:
    # A date after tomorrow cannot be true yet; one day of slack covers servers running on UTC.
    latest = datetime.now(UTC).date() + timedelta(days=1)
    for name, value in (("ACCESSIBILITY_CREATED", created), ("ACCESSIBILITY_REVIEWED", reviewed)):
        if value is not None and value > latest:
            raise SettingsError(
                N_("%(name)s liegt in der Zukunft (%(date)s)."),
                name=f"GALLERY_{name}",
                date=value.isoformat(),
            )
    if created is not None and reviewed is not None and reviewed < created:
        raise SettingsError(
            N_(
                "GALLERY_ACCESSIBILITY_REVIEWED (%(reviewed)s) darf nicht vor "
                "GALLERY_ACCESSIBILITY_CREATED (%(created)s) liegen."
            ),
            reviewed=reviewed.isoformat(),
            created=created.isoformat(),
        )


def _split(raw: str) -> tuple[str, ...]:
    return tuple(part for part in raw.replace(",", " ").split() if part)


def _parse_keys(raw: str | None) -> tuple[Secret, ...]:
    if raw is None:
        return ()
    keys = tuple(Secret(k.strip()) for k in raw.split(",") if k.strip())
    for key in keys:
        if len(key.value) < 16:
            raise SettingsError(
                N_("Jeder Schlüssel in GALLERY_SECRET_KEYS muss mindestens 16 Zeichen lang sein.")
            )
    return keys


def _check_service_url(name: str, url: str) -> None:
    parts = _split_url(url, name, SERVICE_URL)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return  # the offline stand-in on this machine
    raise SettingsError(
        SERVICE_URL,
        name=name,
        value=repr(url),
        reason=fill(N_("ist weder https noch http auf Loopback")),
    )


def load_or_create_key(data_dir: Path) -> Secret:
    """Read the generated key from the data dir, creating it (mode 0600) on first start."""
    path = data_dir / KEY_FILE_NAME
    try:
        private.make_dir(data_dir)
        if not path.exists():
            # Write under a temporary name, then link: a second process starting at the same
            # moment either wins the link or reads the complete winner, never a half file.
            tmp = data_dir / f".{KEY_FILE_NAME}.{os.getpid()}"
            tmp.unlink(missing_ok=True)  # left by a crash: a new file gets the owner-only mode
            with os.fdopen(private.open_new(tmp), "w") as fh:
                fh.write(secrets.token_urlsafe(48))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
            log.warning(
                "GALLERY_SECRET_KEYS is not set: generated a key in %s. Set GALLERY_SECRET_KEYS "
                "to manage keys yourself (see docs/operations.md, rotating the keys).",
                path,
            )
        key = path.read_text().strip()
    except OSError as exc:
        raise SettingsError(
            N_("GALLERY_DATA_DIR %(folder)s ist nicht nutzbar: %(reason)s."),
            folder=str(data_dir),
            reason=os_reason(exc),
        ) from None
    if len(key) < 16:
        raise SettingsError(
            N_(
                "Die erzeugte Schlüsseldatei %(path)s ist beschädigt; löschen Sie sie, "
                "dann entsteht eine neue."
            ),
            path=str(path),
        )
    return Secret(key)
