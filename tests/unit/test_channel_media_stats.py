"""The media-stats codec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recorder.channels import media_stats as ms
from recorder.channels.common import ChannelFormatError, Response, Status

FIXTURES = Path(__file__).parents[1] / "fixtures" / "meet" / ms.LABEL

ALLOWLIST = {
    "inbound-rtp": ("ssrc", "packetsReceived", "jitter"),
    "codec": ("id", "mimeType", "payloadType"),
    "remote-candidate": ("id", "address"),
}
INBOUND = ms.StatsSection(
    id="IT01A123",
    type="inbound-rtp",
    values={"ssrc": 1234, "packetsReceived": 500, "jitter": 0.004, "kind": "audio"},
)
PAIR = ms.StatsSection(id="CP1", type="candidate-pair", values={"currentRoundTripTime": 0.05})
CODEC = ms.StatsSection(id="C1", type="codec", values={"clockRate": 48000})


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text()


def test_configuration() -> None:
    update = ms.parse_update(fixture("configuration"))
    assert update.response is None
    assert update.configuration == ms.StatsConfiguration(upload_interval=10.0, allowlist=ALLOWLIST)


def test_configuration_interval_zero_means_no_upload() -> None:
    configuration = ms.parse_update(fixture("configuration_interval_zero")).configuration
    assert configuration == ms.StatsConfiguration(
        upload_interval=0.0, allowlist={"transport": ("selectedCandidatePairId",)}
    )


def test_upload_response_without_status_is_ok() -> None:
    update = ms.parse_update(fixture("upload_response"))
    assert update == ms.MediaStatsUpdate(
        response=Response(request_id=3, status=Status(), kind="uploadMediaStats"),
        configuration=None,
    )


@pytest.mark.parametrize(
    ("configuration", "allowlist"),
    [
        ({"uploadIntervalSeconds": "5", "allowlist": {"codec": {"key": ["mimeType"]}}},
         {"codec": ("mimeType",)}),
        ({"uploadIntervalSeconds": 1, "unknown": 1}, {}),
    ],
)  # fmt: skip
def test_configuration_variants(configuration: dict[str, object], allowlist: object) -> None:
    text = json.dumps({"resources": [{"configuration": configuration}]})
    parsed = ms.parse_update(text).configuration
    assert parsed is not None
    assert parsed.allowlist == allowlist


@pytest.mark.parametrize(
    "configuration",
    [
        {"uploadIntervalSeconds": "ten"},
        {"uploadIntervalSeconds": -1},
        {"uploadIntervalSeconds": True},
        {"allowlist": []},
        {"allowlist": {"codec": ["mimeType"]}},
        {"allowlist": {"codec": {"keys": "mimeType"}}},
        {"allowlist": {"codec": {"keys": [1]}}},
    ],
)
def test_configuration_wrong_types(configuration: dict[str, object]) -> None:
    text = json.dumps({"resources": [{"configuration": configuration}]})
    with pytest.raises(ChannelFormatError):
        ms.parse_update(text)


def test_configuration_nan_interval_rejected() -> None:
    with pytest.raises(ChannelFormatError):
        ms.parse_update('{"resources": [{"configuration": {"uploadIntervalSeconds": NaN}}]}')


def test_filter_sections() -> None:
    kept = ms.filter_sections([INBOUND, PAIR, CODEC], ALLOWLIST)
    assert kept == (
        ms.StatsSection(
            id="IT01A123",
            type="inbound-rtp",
            values={"ssrc": 1234, "packetsReceived": 500, "jitter": 0.004},
        ),
    )


def test_filter_sections_empty_allowlist() -> None:
    assert ms.filter_sections([INBOUND, PAIR], {}) == ()


@pytest.mark.parametrize("name", ["upload_ts", "upload_cpp"])
def test_parse_upload_accepts_both_encodings(name: str) -> None:
    upload = ms.parse_upload(fixture(name))
    assert upload.request_id == 3
    assert upload.sections == (
        ms.StatsSection(
            id="IT01A123",
            type="inbound-rtp",
            values={"ssrc": 1234, "packetsReceived": 500, "jitter": 0.004},
        ),
        PAIR,
    )
    assert ms.parse_request is ms.parse_upload


def test_encode_request_is_ts_style() -> None:
    text = ms.encode_request(ms.UploadMediaStats(request_id=3, sections=(INBOUND, PAIR)))
    assert json.loads(text) == {
        "request": {
            "requestId": 3,
            "uploadMediaStats": {
                "sections": [
                    {
                        "id": "IT01A123",
                        "inbound_rtp": {
                            "ssrc": 1234,
                            "packets_received": 500,
                            "jitter": 0.004,
                            "kind": "audio",
                        },
                    },
                    {"id": "CP1", "candidate_pair": {"current_round_trip_time": 0.05}},
                ]
            },
        }
    }


@pytest.mark.parametrize(
    "section",
    [
        INBOUND,
        PAIR,
        ms.StatsSection(id="T1", type="transport", values={"selectedCandidatePairId": "CP1"}),
        ms.StatsSection(
            id="RC1",
            type="remote-candidate",
            values={"address": "10.0.0.1", "port": 3478, "candidateType": "host"},
        ),
        ms.StatsSection(
            id="MP", type="media-playout", values={"totalPlayoutDelay": 1.5, "totalSamplesCount": 9}
        ),
    ],
)
def test_upload_round_trip(section: ms.StatsSection) -> None:
    request = ms.UploadMediaStats(request_id=9, sections=(section,))
    assert ms.parse_upload(ms.encode_request(request)) == request


def test_empty_upload_round_trip() -> None:
    request = ms.UploadMediaStats(request_id=1, sections=())
    assert ms.parse_upload(ms.encode_request(request)) == request


def test_encode_request_rejects_id_zero() -> None:
    with pytest.raises(ValueError, match="positive"):
        ms.encode_request(ms.UploadMediaStats(request_id=0, sections=()))


@pytest.mark.parametrize(
    "sections",
    [
        "x",
        [1],
        [{"id": "A"}],
        [{"id": "A", "codec": {}, "transport": {}}],
        [{"id": 5, "codec": {"mimeType": "audio/opus"}}],
    ],
)
def test_parse_upload_malformed(sections: object) -> None:
    text = json.dumps({"request": {"requestId": 1, "uploadMediaStats": {"sections": sections}}})
    with pytest.raises(ChannelFormatError):
        ms.parse_upload(text)


def test_parse_upload_skips_non_scalar_values() -> None:
    text = json.dumps(
        {
            "request": {
                "requestId": 1,
                "uploadMediaStats": {
                    "sections": [{"id": "C", "codec": {"mime_type": "audio/opus", "x": [1]}}]
                },
            }
        }
    )
    section = ms.parse_upload(text).sections[0]
    assert section == ms.StatsSection(id="C", type="codec", values={"mimeType": "audio/opus"})


@pytest.mark.parametrize(
    "config",
    [
        ms.StatsConfiguration(upload_interval=10.0, allowlist=ALLOWLIST),
        ms.StatsConfiguration(upload_interval=2.5, allowlist={}),
        ms.StatsConfiguration(upload_interval=0.0, allowlist={"codec": ("mimeType",)}),
    ],
)
def test_configuration_round_trip(config: ms.StatsConfiguration) -> None:
    assert ms.parse_update(ms.encode_configuration(config)).configuration == config


def test_encode_configuration_shape() -> None:
    config = ms.parse_update(fixture("configuration")).configuration
    assert config is not None
    assert json.loads(ms.encode_configuration(config)) == json.loads(fixture("configuration"))


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, {"response": {"requestId": 3, "uploadMediaStats": {}}}),
        (Status(), {"response": {"requestId": 3, "status": {"code": 0}, "uploadMediaStats": {}}}),
    ],
)
def test_encode_response(status: Status | None, expected: dict[str, object]) -> None:
    text = ms.encode_response(request_id=3, status=status)
    assert json.loads(text) == expected
    assert ms.parse_update(text).response == Response(3, Status(), "uploadMediaStats")
