"""The meeting page's HTML: a server-rendered shell that reads without JavaScript.

Every string from users or the database goes through `html.escape`; the JSON island for the
script is escaped so it cannot close its ``<script>`` element. Nothing is inline (no
``style`` attributes, no handlers) so the page works under ``default-src 'none'``.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from html import escape
from importlib import resources
from string import Template

from bot.core.recording_texts import clock
from bot.web.meeting_view import Line, MeetingView, SpeakerRow

_PAGE_DIR = resources.files("bot.web") / "page"
_PAGE = Template(_PAGE_DIR.joinpath("meeting.html").read_text(encoding="utf-8"))
_NOTICE = Template(_PAGE_DIR.joinpath("notice.html").read_text(encoding="utf-8"))

WIDTH = 1000  # timeline viewBox units across the whole call
ROW = 22  # timeline row height (px: the SVG is drawn 1:1 vertically)
BAR = 14
MIN_BAR = 2.0  # a very short utterance still shows
TICKS = 4  # axis labels at 0, ¼, ½, ¾ of the call


def render_page(view: MeetingView, *, css_url: str, js_url: str) -> str:
    """The whole meeting page."""
    return _PAGE.substitute(
        title=escape(view.title),
        css=escape(css_url),
        js=escape(js_url),
        date_iso=escape(view.date.isoformat()),
        date=escape(_date(view.date)),
        duration=escape(_human(view.duration)),
        speaker_count=escape(_count(len(view.speakers))),
        notice=f'<p class="notice">{escape(view.notice)}</p>' if view.notice else "",
        player=_player(view),
        timeline=_timeline(view),
        speakers=_speakers(view.speakers),
        transcript=_transcript(view.lines),
        downloads=_downloads(view),
        expires_iso=escape(view.expires_at.isoformat()),
        expires=escape(_date(view.expires_at)),
        data=_data(view),
    )


def render_notice(*, title: str, message: str, css_url: str) -> str:
    """A short page saying why the meeting page cannot be shown."""
    return _NOTICE.substitute(title=escape(title), message=escape(message), css=escape(css_url))


def _player(view: MeetingView) -> str:
    media = view.media
    if media is None:
        return '<p class="empty">The recording itself is not available.</p>'
    tag = "video" if media.video else "audio"
    return (
        f'<{tag} id="player" controls preload="metadata" src="{escape(media.url)}">'
        f'<a href="{escape(media.url)}">Download the recording</a></{tag}>'
    )


def _timeline(view: MeetingView) -> str:
    rows = [row for row in view.speakers if row.spoke]
    if not rows:
        return '<p class="empty">Nobody spoke.</p>'
    index = {row.name: i for i, row in enumerate(rows)}
    span = _span(view)
    height = len(rows) * ROW
    bars = "".join(_bar(line, index[line.name], span) for line in view.lines)
    grid = "".join(
        f'<line x1="{x}" x2="{x}" y1="0" y2="{height}" vector-effect="non-scaling-stroke"/>'
        for x in (WIDTH * i // TICKS for i in range(1, TICKS))
    )
    names = "".join(
        f'<li><span class="dot c{row.color}"></span>{escape(row.name)}</li>' for row in rows
    )
    axis = "".join(f"<span>{_stamp(span * i / TICKS)}</span>" for i in range(TICKS))
    label = escape(f"Who spoke when, over {_human(span)}: " + ", ".join(r.name for r in rows))
    return (
        f'<div class="tl"><ol class="tl-names">{names}</ol><div class="tl-chart">'
        f'<svg id="timeline" viewBox="0 0 {WIDTH} {height}" preserveAspectRatio="none" '
        f'height="{height}" role="img" aria-label="{label}">'
        f'<g class="grid">{grid}</g><g class="bars">{bars}</g>'
        f'<line id="playhead" class="playhead" x1="0" x2="0" y1="0" y2="{height}" '
        'vector-effect="non-scaling-stroke"/></svg>'
        f'<div class="tl-axis">{axis}<span class="end">{_stamp(span)}</span></div></div></div>'
    )


def _bar(line: Line, row: int, span: float) -> str:
    x = line.start / span * WIDTH
    width = max((line.end - line.start) / span * WIDTH, MIN_BAR)
    y = row * ROW + (ROW - BAR) / 2
    tip = escape(f"{line.name}, {_stamp(line.start)}–{_stamp(line.end)}")
    return (
        f'<rect class="bar c{line.color}" x="{x:.2f}" y="{y:.1f}" width="{width:.2f}" '
        f'height="{BAR}" data-start="{line.start:.3f}"><title>{tip}</title></rect>'
    )


def _speakers(rows: tuple[SpeakerRow, ...]) -> str:
    if not rows:
        return '<p class="empty">Nobody was heard or seen in this call.</p>'
    total = sum(row.talk for row in rows) or 1.0
    items = []
    for row in rows:
        share = round(100 * row.talk / total)
        items.append(
            f'<li><span class="dot c{row.color}"></span><span class="name">{escape(row.name)}'
            f'</span><span class="talk">{clock(row.talk)}</span><span class="share">{share}%'
            f'</span><svg class="meter" viewBox="0 0 100 4" preserveAspectRatio="none" '
            f'aria-hidden="true"><rect class="c{row.color}" width="{share}" height="4"/></svg>'
            "</li>"
        )
    return f'<ul class="speaker-list">{"".join(items)}</ul>'


def _transcript(lines: tuple[Line, ...]) -> str:
    if not lines:
        return '<p class="empty" id="no-speech">There was no speech in this recording.</p>'
    items = "".join(
        f'<li class="line" data-i="{i}" data-start="{line.start:.3f}" tabindex="0" '
        f'title="Play from {_stamp(line.start)}"><span class="at">{_stamp(line.start)}</span>'
        f'<span class="who c{line.color}">{escape(line.name)}</span>'
        f'<span class="said">{escape(line.text)}</span></li>'
        for i, line in enumerate(lines)
    )
    return f'<ol class="lines" id="lines">{items}</ol>'


def _downloads(view: MeetingView) -> str:
    if not view.downloads:
        return '<p class="empty">There are no files to download.</p>'
    items = "".join(
        f'<li><a href="{escape(d.url)}" download="{escape(d.filename)}">{escape(d.label)}</a>'
        f'<span class="file">{escape(d.filename)}</span><span class="size">{_size(d.size)}'
        "</span></li>"
        for d in view.downloads
    )
    return f'<ul class="files">{items}</ul>'


def _data(view: MeetingView) -> str:
    """The script's data: the call length and each line's [start, end]."""
    body = {
        "duration": _span(view),
        "lines": [[round(line.start, 3), round(line.end, 3)] for line in view.lines],
    }
    text = json.dumps(body, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
