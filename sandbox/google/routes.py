"""Mounts the Google emulators under ``/sandbox/google/``: OAuth, Meet REST and the Media API."""

from __future__ import annotations

from aiohttp import web

from sandbox.google.oauth import add_oauth_routes
from sandbox.google.state import GoogleEmulatorState
from sandbox.meet_media.rest import add_media_routes
from sandbox.meet_rest.routes import add_meet_routes


def add_google_routes(app: web.Application, state: GoogleEmulatorState) -> None:
    """Mount the OAuth, Meet REST and Media API emulators (under ``/sandbox/google/``).

    The Media API sessions are closed when ``app`` shuts down.
    """
    add_oauth_routes(app, state)
    add_meet_routes(app, state)
    add_media_routes(app, state)

    async def close_media(app: web.Application) -> None:
        await state.media.close()

    app.on_cleanup.append(close_media)
