"""Pure parse/encode codecs, one module per Meet Media API data channel."""

from recorder.channels.common import ChannelFormatError, Response, Status

__all__ = ["ChannelFormatError", "Response", "Status"]
