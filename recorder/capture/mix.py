"""Mix aligned speaker files into one AAC (M4A) recording with PyAV: decode, sum, clip, encode."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from recorder.capture.opus import RATE

logger = logging.getLogger(__name__)

AAC_FRAME = 1024
_TIME_BASE = Fraction(1, RATE)


class _Source:
    """One decoded speaker file feeding one input of the mix."""

    def __init__(self, container: Any, node: Any) -> None:
        self.frames: Iterator[Any] = container.decode(audio=0)
        self.node = node
        self.pushed = 0
        self.done = False

    def feed(self) -> None:
        frame = next(self.frames, None)
        if frame is None:
            self.done = True
            self.node.push(None)
            return
        frame.pts = self.pushed  # the files are aligned from t=0: sample count is the clock
        frame.time_base = _TIME_BASE
        self.pushed += frame.samples
        self.node.push(frame)


def mix_to_m4a(
    *, sources: Sequence[Path], dest: Path, duration: float, bit_rate: int = 96_000
) -> float:
    """Decode ``sources``, sum them sample by sample with clipping and encode AAC into ``dest``.

    Args:
        sources: Ogg Opus speaker files that all start at call t=0.
        dest: The M4A file to write.
        duration: Length of the result in seconds (padded with silence or cut).
        bit_rate: AAC bit rate.

    Returns:
        The duration written, seconds.

    Raises:
        ValueError: No sources.
    """
    if not sources:
        raise ValueError("nothing to mix")
    total = max(1, round(duration * RATE))
    with ExitStack() as stack:
        inputs = [stack.enter_context(av.open(str(path))) for path in sources]
        layout = "stereo" if any(_channels(c) > 1 for c in inputs) else "mono"
        graph = av.filter.Graph()
        nodes = [_buffer(graph, c) for c in inputs]
        sink = _chain(graph, nodes, layout=layout, total=total)
        output = stack.enter_context(
            av.open(str(dest), "w", format="ipod", options={"movflags": "+faststart"})
        )
        stream = output.add_stream("aac", rate=RATE, layout=layout)
        stream.bit_rate = bit_rate
        sources_ = [_Source(c, n) for c, n in zip(inputs, nodes, strict=True)]
        written = _run(sources_, sink, stream, output)
    logger.info("mixed %d files into %s: %.1f s", len(sources), dest.name, written / RATE)
    return written / RATE


def _channels(container: Any) -> int:
    return int(container.streams.audio[0].codec_context.channels)


def _buffer(graph: Any, container: Any) -> Any:
    ctx = container.streams.audio[0].codec_context
    return graph.add_abuffer(
        format="fltp", sample_rate=RATE, layout=ctx.layout.name, time_base=_TIME_BASE
    )


def _chain(graph: Any, nodes: list[Any], *, layout: str, total: int) -> Any:
    """Link sources -> sum -> clip -> exact length -> AAC frame size -> sink."""
    mix = graph.add(
        "amix", f"inputs={len(nodes)}:normalize=0:duration=longest:dropout_transition=0"
    )
    for index, node in enumerate(nodes):
        node.link_to(mix, 0, index)
    steps = [
        mix,
        graph.add("aformat", f"sample_fmts=s16:channel_layouts={layout}"),  # s16 clips the sum
        graph.add("aformat", "sample_fmts=fltp"),  # what the AAC encoder takes
        graph.add("apad", f"whole_len={total}"),
        graph.add("atrim", f"end_sample={total}"),
        graph.add("asetnsamples", f"n={AAC_FRAME}:p=0"),
        graph.add("abuffersink"),
    ]
    for left, right in zip(steps, steps[1:], strict=False):
        left.link_to(right)
    graph.configure()
    return steps[-1]


def _run(sources: list[_Source], sink: Any, stream: Any, output: Any) -> int:
    """Feed the input furthest behind, drain the sink into the encoder, until EOF."""
    written = 0
    while True:
        live = [s for s in sources if not s.done]
        if live:
            min(live, key=lambda s: s.pushed).feed()
        while True:
            try:
                frame = sink.pull()
            except BlockingIOError:
                break
            except EOFError:
                output.mux(stream.encode(None))
                return written
            written += frame.samples
            output.mux(stream.encode(frame))
        if not live:
            raise RuntimeError("mix graph stalled after all inputs ended")
