"""The console's scripts and styles, served from the package (nothing comes from a CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from bot.console.errors import NotFound
from bot.console.web import ConsoleRoute

router = APIRouter(route_class=ConsoleRoute)

STATIC = Path(__file__).resolve().parent.parent / "static"
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".txt": "text/plain"}
# Only the files shipped in static/, by name: nothing else on disk can be asked for.
ASSETS = {p.name: p for p in STATIC.iterdir() if p.is_file() and p.suffix in _TYPES}


@router.get("/static/{name}")
async def asset(name: str) -> FileResponse:
    path = ASSETS.get(name)
    if path is None:
        raise NotFound("no such file")
    response = FileResponse(path, media_type=_TYPES[path.suffix])
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
