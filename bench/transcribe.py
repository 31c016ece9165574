"""Live transcription cost and accuracy on a known text read by espeak-ng (three voices).

    python bench/transcribe.py [--model tiny.en] [--beam-size 5] [--compute-type int8]
                               [--speed 4] [--hold 5]

A meeting of ``SCRIPT`` (about 60 s, three voices in turns, some over each other) is spoken by
espeak-ng, encoded to 20 ms Opus packets per speaker as Meet sends them, and run through what
the recorder does during a call. Prints one JSON object:

- ``model_load_s``: loading the model (the bot does it once, at start);
- ``rtf_per_core``: engine CPU seconds per second of speech with ``cpu_threads=1``, one
  engine call per utterance (``single``) and with waiting utterances batched (``batched``,
  what a busy transcriber does), and ``wer`` for each;
- ``pipeline_cpu_s_per_audio_min``: Opus decoding, resampling + VAD, the Silero check and
  the live mix, CPU seconds per minute of one speaker's audio (per call minute: times 3);
- ``live``: the whole `LiveTranscript` on the call, fed ``--speed`` times faster than real
  time (``--hold`` scaled alike): its WER, the process CPU per call minute (pipeline, engine
  and event loop), and how long ``close`` takes when the call ends (the last words).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recorder.capture.opus import RATE  # noqa: E402
from recorder.model import Speaker  # noqa: E402
from recorder.transcribe.batch import split_pieces, take_batch  # noqa: E402
from recorder.transcribe.engine import FasterWhisperEngine, load_engine  # noqa: E402
from recorder.transcribe.hallucination import keep_speech  # noqa: E402
from recorder.transcribe.live import HOLD, LiveTranscript  # noqa: E402
from recorder.transcribe.pipeline import AudioPipeline, Packets  # noqa: E402
from recorder.transcribe.transcriber import Transcriber  # noqa: E402
from recorder.transcribe.vad import Utterance  # noqa: E402
from recorder.transcribe.wer import word_error_rate  # noqa: E402
from tests.speech import opus_packets, speech, track  # noqa: E402

# (voice, gap after the previous turn in seconds (< 0 talks over it), what they say)
SCRIPT = (
    ("ann", 0.5, "Good morning everyone. Let us start the meeting."),
    (
        "ben",
        0.8,
        "Yesterday I finished the login page and fixed two bugs in the billing report. "
        "Today I will work on the search page.",
    ),
    ("cy", 0.7, "I reviewed the pull requests and updated the release notes."),
    ("ann", -0.8, "Great. Does anyone have a blocker today?"),
    ("ben", 0.6, "I am waiting for the new test server."),
    ("cy", -1.0, "I can set it up this afternoon. It should not take long."),
    (
        "ann",
        0.8,
        "The weather was cold and the train was late again this morning. "
        "Please send me the slides before lunch so I can check the numbers.",
    ),
    ("ben", 0.9, "We should talk to the customer about the price of the new plan."),
    ("cy", 0.6, "My team will finish the design review by the end of the week."),
    ("ben", -0.5, "The database migration ran for three hours last night."),
    ("ann", 0.8, "Let us move the planning meeting to Tuesday afternoon."),
    ("cy", 0.7, "Thank you both. We will ship the new release on Friday."),
)
BATCH = 0.5  # seconds of packets per pipeline run, as in a call


def meeting(tmp: Path) -> tuple[dict[str, np.ndarray], float]:
    """Each voice's track (48 kHz) and the call's length."""
    parts: dict[str, list[tuple[float, np.ndarray]]] = {"ann": [], "ben": [], "cy": []}
    at = 0.0
    for who, gap, text in SCRIPT:
        pcm = speech(text, tmp, who=who)
        parts[who].append((max(0.0, at + gap), pcm))
        at = max(0.0, at + gap) + len(pcm) / RATE
    seconds = at + 1.0
    return {who: track(lines, seconds) for who, lines in parts.items()}, seconds


def wer(said: dict[str, list[tuple[float, str]]]) -> float:
    """Word error rate over everyone: each speaker's words in order against their lines."""
    errors = words = 0.0
    for who in ("ann", "ben", "cy"):
        reference = " ".join(text for w, _, text in SCRIPT if w == who)
        hypothesis = " ".join(text for _, text in sorted(said.get(who, [])))
        count = len(reference.split())
        errors += word_error_rate(reference, hypothesis) * count
        words += count
    return errors / words


def pipeline_run(
    tmp: Path, packets: dict[str, list[bytes]], seconds: float
) -> tuple[AudioPipeline, list[tuple[str, Utterance]]]:
    """The decode → mix → VAD → check pipeline over the call, in ``BATCH`` steps."""
    pipeline = AudioPipeline(mixed_dest=tmp / "bench-mix.m4a", detect=True)
    step = int(BATCH / 0.02)
    heard = []
    for first in range(0, max(len(p) for p in packets.values()), step):
        inbox: dict[str, Packets] = {
            who: [(p, 960) for p in ps[first : first + step]] for who, ps in packets.items()
        }
        heard += pipeline.process(inbox)
    heard += pipeline.flush()
    pipeline.close_mix(duration=seconds)
    return pipeline, [(h.key, h.utterance) for h in heard]


def engine_cost(
    engine: FasterWhisperEngine, utterances: list[tuple[str, Utterance]], *, batched: bool
) -> dict[str, Any]:
    """Engine CPU per second of speech, and the WER of what it heard."""
    queues: dict[str, deque[Utterance]] = {}
    for who, utterance in utterances:
        queues.setdefault(who, deque()).append(utterance)
    said: dict[str, list[tuple[float, str]]] = {}
    cpu = audio = 0.0
    calls = 0
    for who, queue in queues.items():
        while queue:
            batch = take_batch(queue, max_seconds=25.0 if batched else 0.0)
            started = time.process_time()
            pieces = engine.transcribe(batch.audio)
            cpu += time.process_time() - started
            audio += sum(len(u.audio) for u in batch.utterances) / 16_000
            calls += 1
            for utterance, share in zip(batch.utterances, split_pieces(batch, pieces), strict=True):
                text = " ".join(p.text for p in keep_speech(share))
                said.setdefault(who, []).append((utterance.start, text))
    return {
        "engine_calls": calls,
        "speech_s": round(audio, 1),
        "rtf_per_core": round(cpu / audio, 4),
        "wer": round(wer(said), 4),
    }


async def live_run(
    tmp: Path,
    engine: FasterWhisperEngine,
    packets: dict[str, list[bytes]],
    seconds: float,
    speed: float,
    hold: float,
) -> dict[str, Any]:
    """The whole live transcript, fed ``speed`` times faster than real time, then closed."""
    transcriber = Transcriber(engine, workers=1)
    live = LiveTranscript(
        mixed_dest=tmp / "live.m4a",
        transcriber=transcriber,
        interval=BATCH / speed,
        hold=hold / speed,
    )
    cpu = time.process_time()
    live.start()
    for who in packets:
        live.speaker(Speaker(who, who))
    step = int(BATCH / 0.02)
    for first in range(0, max(len(p) for p in packets.values()), step):
        for who, ps in packets.items():
            for payload in ps[first : first + step]:
                live.packet(who, payload, 960)
        await asyncio.sleep(BATCH / speed)
    started = time.monotonic()
    result = await live.close(duration=seconds)
    closing = time.monotonic() - started
    cpu = time.process_time() - cpu
    await transcriber.aclose()
    said: dict[str, list[tuple[float, str]]] = {}
    for segment in result.segments:
        said.setdefault(segment.speaker.key, []).append((segment.start, segment.text))
    return {
        "speed": speed,
        "hold_s": hold,
        "cpu_s_per_call_min": round(cpu / (seconds / 60), 3),
        "engine_busy_s_per_call_min": round(transcriber.busy_seconds / (seconds / 60), 3),
        "wer": round(wer(said), 4),
        "segments": len(result.segments),
        "close_s": round(closing, 3),
        **{k: v for k, v in live.stats().items() if k in ("utterances", "batches", "dropped")},
    }


def run(model: str, beam_size: int, compute_type: str, speed: float, hold: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="meetbot-bench-tx-") as name:
        tmp = Path(name)
        tracks, seconds = meeting(tmp)
        packets = {who: opus_packets(pcm) for who, pcm in tracks.items()}
        started = time.monotonic()
        engine = load_engine(
            model=model, beam_size=beam_size, compute_type=compute_type, cpu_threads=1
        )
        load = time.monotonic() - started
        engine.transcribe(np.zeros(16_000, dtype=np.float32))  # first-call warm-up
        pipeline, utterances = pipeline_run(tmp, packets, seconds)
        minutes = pipeline.audio_seconds / 60
        cpu = {stage: round(s / minutes, 4) for stage, s in pipeline.seconds.items()}
        cpu["total"] = round(sum(pipeline.seconds.values()) / minutes, 4)
        return {
            "model": model,
            "beam_size": beam_size,
            "compute_type": compute_type,
            "cpu_threads": 1,
            "av": av.__version__,
            "model_load_s": round(load, 3),
            "call_s": round(seconds, 1),
            "speakers": len(tracks),
            "reference_words": sum(len(text.split()) for _, _, text in SCRIPT),
            "utterances": len(utterances),
            "rtf_per_core": {
                "single": engine_cost(engine, utterances, batched=False),
                "batched": engine_cost(engine, utterances, batched=True),
            },
            "pipeline_cpu_s_per_audio_min": cpu,
            "pipeline_cpu_s_per_call_min": round(cpu["total"] * len(tracks), 4),
            "live": asyncio.run(live_run(tmp, engine, packets, seconds, speed, hold)),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--speed", type=float, default=4.0, help="live feed vs real time")
    parser.add_argument("--hold", type=float, default=HOLD, help="see LiveTranscript")
    args = parser.parse_args()
    result = run(args.model, args.beam_size, args.compute_type, args.speed, args.hold)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
