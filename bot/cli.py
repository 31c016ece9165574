"""The `meetbot` command: serve, sandbox, emulators, record, db upgrade, keygen."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import logs
from bot.settings import Settings, SettingsError, check_production, load_settings

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meetbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the bot (the sandbox when nothing is configured)")
    _host_port(serve)
    sandbox = sub.add_parser("sandbox", help="run the bot against local Slack/Google stand-ins")
    _host_port(sandbox)
    sandbox.add_argument("--data-dir", type=Path, default=None)
    emulators = sub.add_parser("emulators", help="run only the Slack/Google stand-ins")
    _host_port(emulators)
    emulators.add_argument("--bot-url", required=True, help="where the bot under test listens")
    emulators.add_argument(
        "--grid",
        action="store_true",
        help="Slack acts as an Enterprise Grid org (org-wide install)",
    )
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    sub.add_parser("keygen", help="print a new MEETBOT_STORAGE_TOKEN_KEY")
    rec = sub.add_parser("record", help="record a Meet call from the command line")
    rec.add_argument("meeting", help="Meet link, meeting code or spaces/ID")
    rec.add_argument("--user", help="linked account to act as: platform:team:user")
    rec.add_argument("--out", type=Path, default=Path("."), help="where the files go")
    rec.add_argument("--max-seconds", type=float, default=None, help="stop after this long")
    return parser


def _host_port(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)


def _with_http(settings: Settings, args: argparse.Namespace) -> Settings:
    http = settings.http.model_copy(
        update={k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    )
    return settings.model_copy(update={"http": http})


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"meetbot: {exc}", file=sys.stderr)
        return 2
    logs.configure(level=settings.log_level, fmt=settings.log_format)
    if args.command == "keygen":
        from storage.crypto import generate_key

        print(generate_key())
        return 0
    try:
        with contextlib.suppress(KeyboardInterrupt):
            return asyncio.run(_run(args, settings))
    except SettingsError as exc:
        print(f"meetbot: {exc}", file=sys.stderr)
        return 2
    return 0


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command in ("serve", "sandbox"):
        return await _serve(args, _with_http(settings, args))
    from bot.app import modes

    if args.command == "db":
        await modes.upgrade_database(settings)
        return 0
    if args.command == "record":
        from bot.record_cli import record

        return await record(
            settings,
            ref=args.meeting,
            user=args.user,
            out_dir=args.out,
            max_seconds=args.max_seconds,
        )
    await modes.run_emulators(_with_http(settings, args), bot_url=args.bot_url, grid=args.grid)
    return 0


async def _serve(args: argparse.Namespace, settings: Settings) -> int:
    """`meetbot serve` (the sandbox when nothing is configured) and `meetbot sandbox`."""
    sandbox = args.command == "sandbox" or settings.needs_sandbox
    if not sandbox:
        check_production(settings)  # before the application's imports: a gap shows at once
    from bot.app import modes

    if sandbox:
        await modes.run_sandbox(settings, data_dir=getattr(args, "data_dir", None))
    else:
        await modes.run_production(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
