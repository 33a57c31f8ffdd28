"""Rasa-side speed-ups, in Rasa's own environment (rasa_addons/event_types.py and endpoint_sessions.py):
installed by importing the Neuvo channel; the same results as Rasa's own code; cheaper."""

from __future__ import annotations

import pytest

from tests.rasa_env import run_in_rasa_env

pytestmark = pytest.mark.integration

SCRIPT = r"""
import asyncio, json, time
from aiohttp import web
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

original_resolve = Event.resolve_by_type
original_request = EndpointConfig.request
import rasa_addons.neuvo_channel  # installs the patches
from rasa_addons import endpoint_sessions
patched_resolve = Event.resolve_by_type


def outcome(resolve, *args):
    try:
        found = resolve(*args)
        return None if found is None else found.__name__
    except ValueError as e:
        return "ValueError: " + str(e)


names = sorted({cls.type_name for cls in all_subclasses(Event)})
cases = [[n] for n in names] + [["no_such_event"], ["topic"], ["no_such_event", SlotSet]]


def per_call_us(resolve, n=2000):
    started = time.perf_counter()
    for i in range(n):
        resolve(names[i % len(names)])
    return 1e6 * (time.perf_counter() - started) / n


events = [
    UserUttered("hei", {"name": "greet", "confidence": 0.9}).as_dict(),
    SlotSet("language", "fi").as_dict(),
]
report = {
    "resolve_installed": patched_resolve is not original_resolve,
    "request_installed": EndpointConfig.request is not original_request,
    "names": len(names),
    "resolve_differences": [
        c[0] for c in cases if outcome(original_resolve, *c) != outcome(patched_resolve, *c)
    ],
    "round_trip": [Event.from_parameters(e).as_dict() == e for e in events],
    "rasa_us": per_call_us(original_resolve),
    "patched_us": per_call_us(patched_resolve),
}


async def endpoint_checks():
    seen, peers = [], set()

    async def handler(request):
        peers.add(request.transport.get_extra_info("peername")[1])
        body = await request.read()
        seen.append({
            "method": request.method, "path": request.path, "query": dict(request.query),
            "auth": request.headers.get("Authorization"), "x": request.headers.get("X-Extra"),
            "type": request.headers.get("Content-Type"), "body": body.decode(),
        })
        if request.path.endswith("/missing"):
            return web.json_response({"error": "nope"}, status=404)
        if request.path.endswith("/text"):
            return web.Response(text="plain")
        return web.json_response({"echo": json.loads(body or b"null")})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(
        f"http://127.0.0.1:{port}/webhook", params={"a": "1"}, headers={"X-Extra": "yes"},
        basic_auth={"username": "u", "password": "p"}, token="secret",
    )
    results = {}
    for label, request in (("rasa", original_request), ("patched", EndpointConfig.request)):
        start = len(seen)
        peers.clear()
        answers = [await request(endpoint, json={"n": i}, method="post", timeout=5) for i in range(5)]
        answers.append(await request(endpoint, subpath="text", method="get"))
        try:
            await request(endpoint, subpath="missing", method="post", json={})
            answers.append("no error")
        except ClientResponseError as e:
            text = e.text.decode() if isinstance(e.text, bytes) else e.text
            answers.append(["ClientResponseError", e.status, text])
        results[label] = {"answers": answers, "requests": seen[start:], "connections": len(peers)}
    await endpoint_sessions.close()
    await runner.cleanup()
    return results


report["endpoint"] = asyncio.run(endpoint_checks())
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def outcome() -> dict[str, object]:
    return run_in_rasa_env(SCRIPT)


def test_importing_the_channel_installs_both(outcome: dict[str, object]) -> None:
    assert outcome["resolve_installed"] is True
    assert outcome["request_installed"] is True


def test_every_event_type_resolves_as_in_rasa(outcome: dict[str, object]) -> None:
    assert int(outcome["names"]) > 20  # type: ignore[call-overload]
    assert outcome["resolve_differences"] == []  # also unknown names, "topic" and a default
    assert outcome["round_trip"] == [True, True]


def test_the_event_table_is_cheaper_than_walking_the_class_tree(outcome: dict[str, object]) -> None:
    assert float(outcome["patched_us"]) * 10 < float(outcome["rasa_us"]), outcome  # type: ignore[arg-type]


def test_endpoint_requests_are_the_same_as_rasas(outcome: dict[str, object]) -> None:
    endpoint: dict[str, dict[str, object]] = outcome["endpoint"]  # type: ignore[assignment]
    rasa, patched = endpoint["rasa"], endpoint["patched"]
    assert patched["answers"] == rasa["answers"]
    assert patched["requests"] == rasa["requests"]
    assert rasa["answers"][-1] == ["ClientResponseError", 404, '{"error": "nope"}']  # type: ignore[index]
    requests: list[dict[str, object]] = patched["requests"]  # type: ignore[assignment]
    assert requests[0]["query"] == {"a": "1", "token": "secret"}
    assert requests[0]["x"] == "yes" and str(requests[0]["auth"]).startswith("Basic ")


def test_endpoint_requests_reuse_one_connection(outcome: dict[str, object]) -> None:
    endpoint: dict[str, dict[str, object]] = outcome["endpoint"]  # type: ignore[assignment]
    assert endpoint["rasa"]["connections"] == 7  # Rasa: a new connection for every request
    assert endpoint["patched"]["connections"] == 1
