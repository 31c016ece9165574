"""Which Slack installations can serve a workspace: its own, or its Enterprise Grid org's."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import translate_errors
from storage.slack_stores import BOTS_TABLE

_BOTS = sa.table(
    BOTS_TABLE,
    sa.column("client_id", sa.String),
    sa.column("enterprise_id", sa.String),
    sa.column("team_id", sa.String),
    sa.column("is_enterprise_install", sa.Boolean),
    sa.column("bot_token", sa.String),
    sa.column("installed_at", sa.DateTime),
)


@dataclass(frozen=True, slots=True)
class InstallKey:
    """Where Slack's stores keep an installation: an org-wide one has no team."""

    enterprise_id: str | None
    team_id: str | None
    is_enterprise_install: bool


async def installs_for_team(
    engine: AsyncEngine, team_id: str, *, client_id: str
) -> list[InstallKey]:
    """The team's own installation first (newest first), then every org-wide installation.

    An org-wide install names no team: the caller asks Slack (``auth.teams.list``) whether
    ``team_id`` belongs to that org.
    """
    c = _BOTS.c
    query = (
        sa.select(c.enterprise_id, c.team_id, c.is_enterprise_install)
        .where(
            c.client_id == client_id,
            c.bot_token.is_not(None),
            sa.or_(c.team_id == team_id, c.is_enterprise_install.is_(True)),
        )
        .order_by(c.installed_at.desc())
    )
    async with translate_errors(), engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    keys = [InstallKey(r[0], r[1], bool(r[2])) for r in rows]
    own = [k for k in keys if k.team_id == team_id and not k.is_enterprise_install]
    orgs = {k.enterprise_id: k for k in keys if k.is_enterprise_install}
    return own[:1] + list(orgs.values())
