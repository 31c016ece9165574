"""Offer munging: the RTP header extensions Meet asks clients to support (reference §2.3).

aiortc offers only ``sdes:mid`` and ``ssrc-audio-level`` on audio m-lines. Whether Meet
insists on the others is unverified, so they are added to the offer; an answerer that does
not know them leaves them out of its answer and nothing changes for aiortc.
"""

from __future__ import annotations

import re

AUDIO_EXTENSIONS = (
    "urn:ietf:params:rtp-hdrext:sdes:mid",
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time",
)

_EXTMAP = re.compile(r"^a=extmap:(\d+)(?:/\w+)? (\S+)")


def add_audio_extensions(sdp: str) -> str:
    """Every audio m-line of ``sdp`` gets the missing `AUDIO_EXTENSIONS` (fresh ids)."""
    eol = "\r\n" if "\r\n" in sdp else "\n"
    sections = _split(sdp, eol)
    return eol.join(_with_extensions(s, eol) if _is_audio(s) else eol.join(s) for s in sections)


def count_m_lines(sdp: str, kind: str) -> int:
    return sum(1 for line in sdp.splitlines() if line.startswith(f"m={kind} "))


def _split(sdp: str, eol: str) -> list[list[str]]:
    sections: list[list[str]] = [[]]
    for line in sdp.split(eol):
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    return sections


def _is_audio(lines: list[str]) -> bool:
    return bool(lines) and lines[0].startswith("m=audio ")


def _with_extensions(lines: list[str], eol: str) -> str:
    used: dict[str, int] = {}
    for line in lines:
        match = _EXTMAP.match(line)
        if match:
            used[match.group(2)] = int(match.group(1))
    free = (i for i in range(1, 15) if i not in used.values())
    missing = [f"a=extmap:{next(free)} {uri}" for uri in AUDIO_EXTENSIONS if uri not in used]
    if not missing:
        return eol.join(lines)
    last = max((i for i, line in enumerate(lines) if line.startswith("a=extmap:")), default=0)
    return eol.join(lines[: last + 1] + missing + lines[last + 1 :])
