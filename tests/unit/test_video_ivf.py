"""IVF files and the per-participant store: readable by us and by FFmpeg, after a crash too."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import pytest

from recorder.video.ivf import IvfWriter, iter_ivf_file, read_ivf, read_ivf_file, scan_ivf_file
from recorder.video.model import EncodedFrame, VideoCodec
from recorder.video.store import VideoStore, list_segments
from tests.video_media import TICKS, encode, psnr


def _write(path: Path, codec: VideoCodec, *, close: bool = True) -> IvfWriter:
    stream = encode(codec)
    writer = IvfWriter(path, codec=codec, width=stream.width, height=stream.height)
    for i, data in enumerate(stream.frames):
        writer.write(data, 1000 + i * TICKS)
    if close:
        writer.close()
        writer.close()
    return writer


@pytest.mark.parametrize("codec", list(VideoCodec))
def test_ffmpeg_reads_our_files(tmp_path: Path, codec: VideoCodec) -> None:
    path = tmp_path / "a.ivf"
    _write(path, codec)
    stream = encode(codec)
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        context = av.CodecContext.create(codec.decoder, "r")
        pictures = []
        pts = []
        for packet in container.demux(video):
            if packet.size:
                pts.append(packet.pts)
                pictures += context.decode(packet)
        pictures += context.decode(None)
        assert float(video.time_base) == pytest.approx(1 / 90000)
    assert pts == [1000 + i * TICKS for i in range(len(stream.frames))]
    assert len(pictures) == len(stream.frames)
    for picture, source in zip(pictures, stream.sources, strict=True):
        assert (picture.width, picture.height) == (322, 178)
        assert psnr(picture, source) > 30


def test_header_and_frames_read_back(tmp_path: Path) -> None:
    path = tmp_path / "a.ivf"
    writer = _write(path, VideoCodec.VP9)
    ivf = read_ivf_file(path)
    assert ivf.header.codec is VideoCodec.VP9
    assert (ivf.header.width, ivf.header.height) == (322, 178)
    assert (ivf.header.rate, ivf.header.scale, ivf.header.frame_count) == (90000, 1, 12)
    assert [f.data for f in ivf.frames] == list(encode(VideoCodec.VP9).frames)
    assert not ivf.truncated
    assert writer.size == path.stat().st_size
    assert (writer.first_pts, writer.last_pts) == (1000, 1000 + 11 * TICKS)


def test_a_killed_writer_leaves_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "a.ivf"
    writer = _write(path, VideoCodec.VP8, close=False)  # every frame is already flushed
    data = path.read_bytes()
    writer.close()
    assert read_ivf(data).header.frame_count == 0
    assert len(read_ivf(data).frames) == 12
    cut = tmp_path / "cut.ivf"
    cut.write_bytes(data[:-5])  # killed in the middle of the last frame
    ivf = read_ivf_file(cut)
    assert len(ivf.frames) == 11
    assert ivf.truncated
    with av.open(str(cut)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    assert len(packets) >= 11


def test_bad_writes_and_files_are_refused(tmp_path: Path) -> None:
    writer = IvfWriter(tmp_path / "a.ivf", codec=VideoCodec.AV1)
    writer.write(b"\x12\x00", 10)
    with pytest.raises(ValueError, match="goes back"):
        writer.write(b"\x12\x00", 9)
    with pytest.raises(ValueError, match="0 bytes"):
        writer.write(b"", 11)
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.write(b"\x12\x00", 11)
    assert len(read_ivf_file(tmp_path / "a.ivf").frames) == 1
    with pytest.raises(ValueError, match="not an IVF"):
        read_ivf(b"RIFF" + bytes(40))
    header = struct.pack("<4sHH4sHHIIII", b"DKIF", 0, 32, b"H264", 0, 0, 1, 1, 0, 0)
    with pytest.raises(ValueError, match="VP8, VP9 or AV1"):
        read_ivf(header)


def _frames(codec: VideoCodec) -> list[EncodedFrame]:
    stream = encode(codec)
    return [
        EncodedFrame(codec=codec, data=d, keyframe=k, width=322 if k else None, height=178)
        for d, k in zip(stream.frames, stream.keyframes, strict=True)
    ]


def test_the_store_keeps_a_segment_per_participant_and_codec(tmp_path: Path) -> None:
    store = VideoStore(tmp_path / "video")
    alice, bob = "participants/a.1", "participants/b"
    vp8, av1 = _frames(VideoCodec.VP8), _frames(VideoCodec.AV1)
    assert not store.write(alice, vp8[1], 0)  # a segment cannot start with a delta frame
    for i, frame in enumerate(vp8):
        assert store.write(alice, frame, i * TICKS)
        assert store.write(bob, av1[i], i * TICKS)
    assert store.write(alice, av1[0], 12 * TICKS)  # codec switch: a new segment
    assert store.write(alice, av1[1], 11 * TICKS)  # pts going back is held at the last
    store.end(bob)
    assert store.write(bob, av1[6], 20 * TICKS)  # resumed: another segment
    assert store.skipped == 1
    on_disk = list_segments(tmp_path / "video")  # before close: what a crash would leave
    closed = store.close()
    assert sorted(closed, key=lambda s: (s.key, s.index)) == on_disk
    assert [(s.key, s.index, s.codec, s.frames) for s in on_disk] == [
        (alice, 0, VideoCodec.VP8, 12),
        (alice, 1, VideoCodec.AV1, 2),
        (bob, 0, VideoCodec.AV1, 12),
        (bob, 1, VideoCodec.AV1, 1),
    ]
    assert (on_disk[1].first_pts, on_disk[1].last_pts) == (12 * TICKS, 12 * TICKS)
    assert all("/" not in s.path.name and s.path.name.count(".") == 2 for s in on_disk)
    with pytest.raises(ValueError, match="non-empty key"):
        store.write("", vp8[0], 0)


def test_streaming_reads_agree_with_the_whole_file_read(tmp_path: Path) -> None:
    path = tmp_path / "a.ivf"
    _write(path, VideoCodec.VP9)
    cut = tmp_path / "cut.ivf"
    cut.write_bytes(path.read_bytes()[:-5])
    for file in (path, cut):
        whole = read_ivf_file(file)
        assert list(iter_ivf_file(file)) == list(whole.frames)
        scan = scan_ivf_file(file)
        assert scan.header == whole.header
        assert scan.frames == len(whole.frames)
        assert (scan.first_pts, scan.last_pts) == (whole.frames[0].pts, whole.frames[-1].pts)
    (tmp_path / "junk.ivf").write_bytes(b"RIFF" + bytes(40))
    with pytest.raises(ValueError, match="not an IVF file"):
        scan_ivf_file(tmp_path / "junk.ivf")
    with pytest.raises(ValueError, match="not an IVF file"):
        next(iter_ivf_file(tmp_path / "junk.ivf"))
