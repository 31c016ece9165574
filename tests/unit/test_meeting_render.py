"""The meeting page's templates: hostile names, titles and files render as inert text."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from bot.core.model import FileKind
from bot.web.meeting_render import render_notice, render_page, script_json
from recorder.model import Speaker
from recorder.transcribe.model import Segment
from tests.unit.test_meeting_view import _file, _view

EVIL = "</script><img src=x onerror=alert(1)> \"double\" 'single' & <!--"


class _Elements(HTMLParser):
    """Every element the browser would build, its attributes, and each script's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.texts.append(data)


def _parse(body: str) -> _Elements:
    parser = _Elements()
    parser.feed(body)
    parser.close()
    return parser


def test_a_hostile_title_speaker_and_file_stay_text() -> None:
    speaker = Speaker(key="participants/9", display_name=EVIL)
    view = _view(
        title=EVIL,
        segments=[Segment(speaker=speaker, start=1.0, end=2.5, text=EVIL)],
        files=[_file(FileKind.MIXED, f"{EVIL}.mp4", "video/mp4")],
    )

    body = render_page(view, css_url="/c.css?a=1&b=2", js_url="/m.js")
    page = _parse(body)

    assert "img" not in [tag for tag, _ in page.tags]
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    assert [attrs.get("src") for tag, attrs in page.tags if tag == "script"] == ["/m.js", None]
    # title; heading, timeline name; bar tip; speaker, line's speaker and words; file name
    assert [t for t in page.texts if EVIL in t] == [
        f"{EVIL} · meetbot",
        *[EVIL] * 2,
        f"{EVIL}, 0:01–0:02",
        *[EVIL] * 3,
        f"{EVIL}.mp4",
    ]
    downloads = [
        attrs["download"] for tag, attrs in page.tags if tag == "a" and "download" in attrs
    ]
    assert downloads == [f"{EVIL}.mp4"]  # quotes did not end the attribute
    labels = [attrs["aria-label"] for tag, attrs in page.tags if tag == "svg" and "role" in attrs]
    assert labels == [f"Who spoke when, over 30 s: {EVIL}"]
    island = page.scripts[-1]
    assert json.loads(island) == {"duration": 30.0, "lines": [[1.0, 2.5]]}
    assert body.count("</script>") == 2


def test_the_json_island_cannot_close_its_script_or_break_a_line() -> None:
    value = {"name": EVIL, "seps": "\u2028\u2029"}

    island = str(script_json(value))

    assert not set(island) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(island) == value
    page = _parse(f'<script type="application/json">{island}</script><p>after</p>')
    assert page.scripts == [island]
    assert page.texts == ["after"]


def test_the_notice_page_escapes_its_title_and_message() -> None:
    body = render_notice(title=EVIL, message=f'"{EVIL}"', css_url='/c.css?x="1"')
    page = _parse(body)

    assert [tag for tag, _ in page.tags if tag in {"img", "script"}] == []
    assert ("link", {"rel": "stylesheet", "href": '/c.css?x="1"'}) in page.tags
    assert f"{EVIL} · meetbot" in page.texts
    assert f'"{EVIL}"' in page.texts
