"""``POST /chat/events``: verify the bearer token, read the event, dispatch, answer."""

from __future__ import annotations

import logging

from aiohttp import web

from bot import bounded_json
from bot.gchat.app import EVENTS_PATH, GCHAT
from bot.gchat.events import UnsupportedEvent, parse_event
from bot.gchat.verify import CertsUnavailable, TokenRejected

logger = logging.getLogger(__name__)


async def events(request: web.Request) -> web.Response:
    """Every Chat interaction; nothing runs unless the token verifies and the event reads.

    The body is read only after the token verifies (401) and parsed with a nesting cap; a body
    that is not an event meetbot can read gets 400 and is not dispatched.
    """
    side = request.app[GCHAT]
    try:
        await side.verifier.verify(request.headers.get("Authorization"))
    except TokenRejected as exc:
        logger.warning("rejected a Chat request: %s", exc.reason)
        return web.json_response({"error": "unauthorized"}, status=401)
    except CertsUnavailable:
        return web.json_response({"error": "cannot verify requests right now"}, status=503)
    try:
        event = parse_event(bounded_json.loads(await request.read()))
    except ValueError as exc:  # bad or too deep JSON, bad UTF-8, or a MalformedEvent
        logger.warning("malformed Chat event: %s", exc)
        return web.json_response({"error": "malformed event"}, status=400)
    except UnsupportedEvent as exc:
        logger.info("ignored a Chat event: %s", exc)
        return web.json_response({})
    body = await side.dispatcher.dispatch(event)
    return web.json_response(body)


def add_routes(app: web.Application) -> None:
    app.router.add_post(EVENTS_PATH, events)
