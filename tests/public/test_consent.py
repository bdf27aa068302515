"""The consent record: valid, tampered, expired, old notice, rotated and removed keys."""

from __future__ import annotations

import base64
import json
import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from gallery.public.consent import COOKIE_NAME, ConsentSigner, delete_cookie_headers, set_cookie_header
from gallery.settings import Secret
from tests.admin_helpers import respellings

OLD = Secret("old-key-aaaaaaaaaaaaaaaa")
NEW = Secret("new-key-bbbbbbbbbbbbbbbb")
DAY = 86400


def signer(*keys: Secret, version: str = "v1", max_age: int = 180 * DAY) -> ConsentSigner:
    return ConsentSigner(keys, version, max_age)


def payload_of(token: str) -> dict[str, object]:
    head = token.split(".")[0]
    data: dict[str, object] = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    return data


def test_record_holds_only_version_provider_and_time() -> None:
    token = signer(NEW).issue(now=1_800_000_000)
    assert payload_of(token) == {"v": "v1", "p": "vimeo", "iat": 1_800_000_000}


def test_fresh_record_is_valid() -> None:
    s = signer(NEW)
    assert s.is_valid(s.issue())


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.mark.parametrize(
    "mangle",
    [
        # signature changed (its first character: the last one partly holds padding bits)
        lambda t: (
            t[: t.rindex(".") + 1] + ("A" if t[t.rindex(".") + 1] != "A" else "B") + t[t.rindex(".") + 2 :]
        ),
        lambda t: t[: len(t) // 2],  # truncated
        lambda t: "x" + t,  # payload changed
        lambda t: t.replace(".", "", 1),
        lambda t: "",
        lambda t: "not-a-token",
        lambda t: t * 20,  # enormous
        lambda t: "\x00\xff" * 10,
        # the same signature spelt differently: spare padding, or unused bits of its last character
        lambda t: t + "=",
        lambda t: t + "==",
        lambda t: t[:-1] + B64[B64.index(t[-1]) ^ 1],
    ],
)
def test_tampered_record_is_no_consent(mangle) -> None:  # type: ignore[no-untyped-def]
    s = signer(NEW)
    assert not s.is_valid(mangle(s.issue()))


def test_expired_record_is_no_consent() -> None:
    s = signer(NEW, max_age=10 * DAY)
    token = s.issue(now=time.time() - 11 * DAY)
    assert not s.is_valid(token)


def test_record_from_an_older_notice_is_no_consent() -> None:
    token = signer(NEW, version="old").issue()
    assert not signer(NEW, version="new").is_valid(token)


def test_rotation_old_key_still_verifies_new_key_signs() -> None:
    before = signer(OLD).issue()
    rotated = signer(NEW, OLD)  # the first key signs, all verify
    assert rotated.is_valid(before)
    after = rotated.issue()
    assert signer(NEW).is_valid(after)
    assert not signer(OLD).is_valid(after)


def test_removed_key_no_longer_verifies() -> None:
    token = signer(OLD).issue()
    assert not signer(NEW).is_valid(token)


def test_far_future_issued_at_is_no_consent() -> None:
    # Correctly signed (as if by a key holder with a broken clock), yet claims a future time.
    token = signer(NEW).issue(now=time.time() + 30 * DAY)
    assert not signer(NEW).is_valid(token)


def test_record_with_extra_fields_or_wrong_provider_is_no_consent() -> None:
    serializer = URLSafeTimedSerializer(
        NEW.value,
        salt="gallery.consent",
        signer_kwargs={"digest_method": __import__("hashlib").sha256},
    )
    now = int(time.time())
    extra = serializer.dumps({"v": "v1", "p": "vimeo", "iat": now, "uid": "tracking"})
    wrong = serializer.dumps({"v": "v1", "p": "youtube", "iat": now})
    as_list = serializer.dumps(["v1", "vimeo", now])
    assert signer(NEW).is_valid(serializer.dumps({"v": "v1", "p": "vimeo", "iat": now}))
    for token in (extra, wrong, as_list):
        assert not signer(NEW).is_valid(str(token))


def test_other_salt_cannot_pass_as_consent() -> None:
    other = URLSafeTimedSerializer(NEW.value, salt="gallery.admin-session")
    token = other.dumps({"v": "v1", "p": "vimeo", "iat": int(time.time())})
    assert not signer(NEW).is_valid(str(token))


def test_cookie_attributes() -> None:
    name, value = set_cookie_header("abc", 3600)
    assert name == b"set-cookie"
    text = value.decode()
    assert text.startswith(f"{COOKIE_NAME}=abc;")
    assert COOKIE_NAME.startswith("__Host-")
    parts = {p.strip().split("=")[0].lower() for p in text.split(";")}
    assert {"max-age", "path", "secure", "httponly", "samesite"} <= parts
    assert "domain" not in parts
    assert "Path=/;" in text and "SameSite=Lax" in text and "Max-Age=3600" in text


def test_delete_cookie_repeats_attributes_with_max_age_zero() -> None:
    text = delete_cookie_headers()[0][1].decode()
    assert text.startswith(f"{COOKIE_NAME}=;")
    assert "Max-Age=0" in text and "Secure" in text and "HttpOnly" in text and "Path=/" in text
    assert "SameSite=Lax" in text and "Partitioned" not in text


def test_cross_site_cookie_is_partitioned_when_set_and_deleted() -> None:
    text = set_cookie_header("abc", 3600, "cross-site")[1].decode()
    assert text.startswith(f"{COOKIE_NAME}=abc;")
    assert text.endswith("; Secure; HttpOnly; SameSite=None; Partitioned")
    first, second = (v.decode() for _, v in delete_cookie_headers("cross-site"))
    assert first.startswith(f"{COOKIE_NAME}=;") and "Max-Age=0" in first
    assert first.endswith("SameSite=None; Partitioned")
    # a choice remembered before the operator switched modes is deleted too
    assert second.endswith("SameSite=Lax") and "Max-Age=0" in second


def test_check_marker_is_signed_and_short_lived() -> None:
    marker = signer(NEW).issue_check("always")
    assert signer(NEW).check_is_valid(marker, "always")
    assert not signer(NEW).check_is_valid(marker, "revoke")
    assert not signer(OLD).check_is_valid(marker, "always")
    assert not signer(NEW).check_is_valid(marker[:-2] + "xx", "always")
    assert not signer(NEW).check_is_valid("1", "always")
    assert not signer(NEW).check_is_valid(None, "always")
    # a consent record is not a marker, nor the other way round
    assert not signer(NEW).check_is_valid(signer(NEW).issue(), "always")
    assert not signer(NEW).is_valid(marker)


def test_check_marker_is_accepted_only_as_issued() -> None:
    marker = signer(NEW).issue_check("always")
    for other in respellings(marker):
        assert not signer(NEW).check_is_valid(other, "always"), other[-3:]
