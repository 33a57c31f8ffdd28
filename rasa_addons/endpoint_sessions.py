"""Reuse one HTTP connection pool for Rasa's calls to endpoints (the action server above all).

Rasa 3.6's `EndpointConfig.request` opens a new `aiohttp.ClientSession` for every request, so every custom
action call makes and tears down a TCP connection to the app: work on both sides of loopback for each
message (about 5 % of Rasa's CPU in `make bench`, and as much again for the app accepting the connection).
Here the request is the same one Rasa sends (same URL, query parameters, headers, basic auth, certificate
file, compression and timeout), made through one session per event loop that keeps idle connections open.

Idle connections are dropped after `KEEPALIVE_SECONDS`, well before uvicorn closes them (5 s by default), so
a request is never written to a connection the app is closing. The session is closed when the Sanic server
stops (`close()`, registered by the Neuvo channel).

`install()` is called when the Neuvo channel is imported (credentials.yml loads it in every Rasa process).
"""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import Any, Dict, Optional, Text, Tuple

import aiohttp
from aiohttp.client_exceptions import ContentTypeError
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

KEEPALIVE_SECONDS = 2.0

_shared: Optional[Tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = None


def _session() -> aiohttp.ClientSession:
    """The running loop's session (a session cannot be used from another loop)."""
    global _shared
    loop = asyncio.get_running_loop()
    if _shared is None or _shared[0] is not loop or _shared[1].closed:
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_SECONDS)
        session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT)
        )
        _shared = (loop, session)
    return _shared[1]


async def close() -> None:
    global _shared
    if _shared is not None:
        shared, _shared = _shared, None
        if not shared[1].closed and shared[0] is asyncio.get_running_loop():
            await shared[1].close()


async def request(
    self: EndpointConfig,
    method: Text = "post",
    subpath: Optional[Text] = None,
    content_type: Optional[Text] = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Optional[Any]:
    """Rasa's `EndpointConfig.request` (3.6.21), sent through the shared session."""
    headers: Dict[Text, Any] = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs.pop("headers"))
    if self.headers:
        headers.update(self.headers)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, '{os.path.abspath(self.cafile)}' does not exist."
            ) from e
    auth = None
    if self.basic_auth:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
    async with _session().request(
        method,
        concat_url(self.url, subpath),
        headers=headers,
        auth=auth,
        params=self.combine_parameters(kwargs),
        compress=compress,
        ssl=sslcontext,
        **kwargs,
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


def install() -> None:
    EndpointConfig.request = request  # type: ignore[assignment]
