"""Video from the Meet Media API: RTP depacketizing, frame assembly and encoded-frame storage.

Video is never decoded while the call runs. Each video SSRC's RTP payloads go through a
`frames.FrameAssembler` with the codec's depacketizer (`vp8`, `vp9`, `av1`), and the
encoded frames it yields are written as they are, per participant, to IVF files (`ivf`,
`store`). PyAV decodes them only when the MP4 is composed after the call. `packetize` is the
inverse, for tests and the emulator; `codecs` holds what aiortc needs to offer VP8, VP9 and
AV1 (reference §2.2, §2.3).
"""
