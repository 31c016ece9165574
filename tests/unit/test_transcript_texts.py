"""The transcript summary: what people said is made inert, long speaker lists are cut."""

from __future__ import annotations

from bot.core.model import FileKind, RecordingFile
from bot.core.texts import transcripts as texts


def _file(name: str) -> RecordingFile:
    return RecordingFile(
        kind=FileKind.TRANSCRIPT,
        blob_key=f"recordings/r/{name}",
        filename=name,
        content_type="text/plain",
        size=10,
        duration=5.0,
    )


def test_summary_escapes_what_was_said_and_who_said_it() -> None:
    reply = texts.summary(
        excerpt="Ann <ops>: use <!channel> & <https://evil.example|this>",
        duration=125.0,
        talk={"Ann <ops>": 100.0, "Ben": 25.4},
        links=[(_file("transcript.vtt"), "https://bot/files/t1")],
        page="https://bot/meetings/r?t=x",
        problems=["I couldn't attach the transcript files here (ratelimited)."],
    )
    assert reply.text.splitlines() == [
        ":memo: *Transcript ready*: 2:05 call, 2 speakers.",
        "> Ann &lt;ops&gt;: use &lt;!channel&gt; &amp; &lt;https://evil.example|this&gt;",
        "*Talk time*: Ann &lt;ops&gt; 1:40 (80 %) · Ben 0:25 (20 %)",
        "*Download*: <https://bot/files/t1|WebVTT>",
        ":warning: I couldn't attach the transcript files here (ratelimited).",
    ]
    assert [(b.label, b.url) for b in reply.links] == [
        ("Meeting page", "https://bot/meetings/r?t=x")
    ]


def test_many_speakers_are_summed_up() -> None:
    talk = {f"P{i}": float(20 - i) for i in range(13)}
    reply = texts.summary(excerpt="P0: hi", duration=0.0, talk=talk, links=[], page=None)
    [line] = [line for line in reply.text.splitlines() if line.startswith("*Talk time*")]
    assert line.startswith("*Talk time*: P0 0:20 · P1 0:19")
    assert line.endswith("P9 0:11 · and 3 more")
    assert "13 speakers" in reply.text
    assert "*Download*" not in reply.text
    assert reply.links == ()
