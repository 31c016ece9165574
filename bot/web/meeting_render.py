"""The meeting page's HTML: a server-rendered shell that reads without JavaScript.

The markup lives in ``bot/web/page/*.html``, rendered by jinja2 with autoescape on, so every
string from users or the database is escaped where it is written; this module only computes
plain values (positions, clocks, sizes). The JSON island for the script goes through
`script_json`, so it cannot close its ``<script>`` element. Nothing is inline (no ``style``
attributes, no handlers) so the page works under ``default-src 'none'``.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from bot.core.texts.recording import clock
from bot.web.meeting_view import Line, MeetingView, SpeakerRow

WIDTH = 1000  # timeline viewBox units across the whole call
ROW = 22  # timeline row height (px: the SVG is drawn 1:1 vertically)
BAR = 14
MIN_BAR = 2.0  # a very short utterance still shows
TICKS = 4  # axis labels at 0, ¼, ½, ¾ of the call

_SCRIPT_UNSAFE = str.maketrans(
    {
        "<": "\\u003c",  # no </script> and no <!-- inside the element
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",  # JavaScript line terminators, should the text ever be eval'd
        "\u2029": "\\u2029",
    }
)


def script_json(value: Any) -> Markup:
    """``value`` as compact JSON that is safe inside ``<script>`` (no ``</script>``, no
    ``<!--``, no entity, no JavaScript line terminator)."""
    text = json.dumps(value, separators=(",", ":"))
    return Markup(text.translate(_SCRIPT_UNSAFE))


def _html(value: Any) -> Any:
    """Each ``{{ value }}`` before autoescape: text is escaped as `html.escape` does
    (``&quot;``, ``&#x27;``), byte for byte what the page served before jinja2; markup the
    templates mark safe (`script_json`) and numbers are left to autoescape."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return Markup(html.escape(value))
    return value


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot.web", "page"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        finalize=_html,
    )
    env.filters["script_json"] = script_json
    return env


# Compiled once at import, read-only afterwards (as the string templates were before).
_ENV = _environment()
_PAGE = _ENV.get_template("meeting.html")
_NOTICE = _ENV.get_template("notice.html")


@dataclass(frozen=True, slots=True)
class _Bar:
    color: int
    x: str
    y: str
    width: str
    start: str
    tip: str


@dataclass(frozen=True, slots=True)
class _Timeline:
    names: tuple[SpeakerRow, ...]
    height: int
    grid: tuple[int, ...]
    bars: tuple[_Bar, ...]
    axis: tuple[str, ...]
    end: str
    label: str


@dataclass(frozen=True, slots=True)
class _Share:
    name: str
    color: int
    talk: str
    share: int


@dataclass(frozen=True, slots=True)
class _Said:
    start: str
    stamp: str
    name: str
    color: int
    text: str


def render_page(view: MeetingView, *, css_url: str, js_url: str) -> str:
    """The whole meeting page."""
    return _PAGE.render(
        width=WIDTH,
        bar_height=BAR,
        title=view.title,
        css=css_url,
        js=js_url,
        date_iso=view.date.isoformat(),
        date=_date(view.date),
        duration=_human(view.duration),
        speaker_count=_count(len(view.speakers)),
        notice=view.notice,
        media=view.media,
        timeline=_timeline(view),
        speakers=_speakers(view.speakers),
        lines=[_said(line) for line in view.lines],
        downloads=[(d, _size(d.size)) for d in view.downloads],
        expires_iso=view.expires_at.isoformat(),
        expires=_date(view.expires_at),
        data=_data(view),
    )


def render_notice(*, title: str, message: str, css_url: str) -> str:
    """A short page saying why the meeting page cannot be shown."""
    return _NOTICE.render(title=title, message=message, css=css_url)


def _timeline(view: MeetingView) -> _Timeline | None:
    rows = tuple(row for row in view.speakers if row.spoke)
    if not rows:
        return None
    index = {row.name: i for i, row in enumerate(rows)}
    span = _span(view)
    return _Timeline(
        names=rows,
        height=len(rows) * ROW,
        grid=tuple(WIDTH * i // TICKS for i in range(1, TICKS)),
        bars=tuple(_bar(line, index[line.name], span) for line in view.lines),
        axis=tuple(_stamp(span * i / TICKS) for i in range(TICKS)),
        end=_stamp(span),
        label=f"Who spoke when, over {_human(span)}: " + ", ".join(r.name for r in rows),
    )


def _bar(line: Line, row: int, span: float) -> _Bar:
    return _Bar(
        color=line.color,
        x=f"{line.start / span * WIDTH:.2f}",
        y=f"{row * ROW + (ROW - BAR) / 2:.1f}",
        width=f"{max((line.end - line.start) / span * WIDTH, MIN_BAR):.2f}",
        start=f"{line.start:.3f}",
        tip=f"{line.name}, {_stamp(line.start)}–{_stamp(line.end)}",
    )


def _speakers(rows: tuple[SpeakerRow, ...]) -> list[_Share]:
    total = sum(row.talk for row in rows) or 1.0
    return [
        _Share(row.name, row.color, clock(row.talk), round(100 * row.talk / total)) for row in rows
    ]


def _said(line: Line) -> _Said:
    return _Said(f"{line.start:.3f}", _stamp(line.start), line.name, line.color, line.text)


def _data(view: MeetingView) -> dict[str, Any]:
    """The script's data: the call length and each line's [start, end]."""
    return {
        "duration": _span(view),
        "lines": [[round(line.start, 3), round(line.end, 3)] for line in view.lines],
    }


def _span(view: MeetingView) -> float:
    """The timeline's length: the call, or the transcript if it runs past the call."""
    return max(view.duration, *(line.end for line in view.lines), 1.0)


def _stamp(seconds: float) -> str:
    """A position in the call, cut to the second as the transcript files show it."""
    return clock(math.floor(max(seconds, 0.0)))


def _date(when: datetime) -> str:
    return f"{when:%a} {when.day} {when:%b %Y, %H:%M} UTC"


def _human(seconds: float) -> str:
    if seconds < 60:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _count(speakers: int) -> str:
    return f"{speakers} speaker" if speakers == 1 else f"{speakers} speakers"


def _size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} kB"
