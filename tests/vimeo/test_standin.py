"""The stand-in's fault switch over HTTP (used by bench/load.py), open to loopback clients only."""

from __future__ import annotations

import httpx
import pytest

from gallery.vimeo.standin import Fault, StandIn

pytestmark = pytest.mark.anyio


def client(standin: StandIn, host: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=standin.app(), client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9")


async def test_the_fault_mode_is_switched_and_counted_over_http() -> None:
    standin = StandIn(control=True)
    async with client(standin, "127.0.0.1") as c:
        r = await c.post("/_standin/fault", content=b"mode=429")
        assert r.status_code == 200 and r.json()["fault"] == "429"
        assert standin.fault is Fault.RATE_LIMITED
        answer = await c.get("/api/oembed.json", params={"url": "https://vimeo.com/1"})
        assert answer.status_code == 429 and answer.headers["retry-after"] == "120"
        stats = (await c.get("/_standin/stats")).json()
        assert stats == {"fault": "429", "counts": {"oembed": 1}}
        assert (await c.post("/_standin/fault", content=b"mode=nonsense")).status_code == 400
        assert (await c.post("/_standin/fault", content=b"mode=refused")).status_code == 400
        assert standin.fault is Fault.RATE_LIMITED


@pytest.mark.parametrize("host", ["203.0.113.7", "10.0.0.2", "2001:db8::1"])
async def test_the_switch_refuses_other_clients(host: str) -> None:
    standin = StandIn(control=True)
    async with client(standin, host) as c:
        assert (await c.post("/_standin/fault", content=b"mode=500")).status_code == 403
        assert (await c.get("/_standin/stats")).status_code == 403
    assert standin.fault is Fault.NONE


async def test_no_switch_unless_asked_for() -> None:
    async with client(StandIn(), "127.0.0.1") as c:
        assert (await c.post("/_standin/fault", content=b"mode=500")).status_code == 404
