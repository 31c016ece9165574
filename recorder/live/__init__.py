"""Live audio during the call: per-speaker Opus decoding and the mixed recording, as it goes."""

from recorder.live.decode import OpusDecoder
from recorder.live.mixer import LiveMixer

__all__ = ["LiveMixer", "OpusDecoder"]
