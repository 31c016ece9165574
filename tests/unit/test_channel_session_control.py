"""The session-control codec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recorder.channels import session_control as sc
from recorder.channels.common import ChannelFormatError, Response, Status
from recorder.channels.session_control import ConnectionState as State
from recorder.channels.session_control import DisconnectReason as Reason

FIXTURES = Path(__file__).parents[1] / "fixtures" / "meet" / sc.LABEL


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text()


@pytest.mark.parametrize(
    ("name", "state", "reason"),
    [
        ("waiting", State.WAITING, None),
        ("joined", State.JOINED, None),
        ("disconnected_client_left", State.DISCONNECTED, Reason.CLIENT_LEFT),
        ("disconnected_user_stopped", State.DISCONNECTED, Reason.USER_STOPPED),
        ("disconnected_conference_ended", State.DISCONNECTED, Reason.CONFERENCE_ENDED),
        ("disconnected_session_unhealthy", State.DISCONNECTED, Reason.SESSION_UNHEALTHY),
        ("disconnected_unknown_reason", State.DISCONNECTED, Reason.UNKNOWN),
        ("disconnected_no_reason", State.DISCONNECTED, Reason.SESSION_UNHEALTHY),
        ("future_state", State.UNKNOWN, None),
    ],
)
def test_status(name: str, state: State, reason: Reason | None) -> None:
    update = sc.parse_update(fixture(name))
    assert update == sc.SessionControlUpdate(
        response=None, status=sc.SessionStatus(state=state, reason=reason)
    )


def test_leave_response_and_status_in_one_message() -> None:
    update = sc.parse_update(fixture("leave_response_and_status"))
    assert update.response == Response(request_id=7, status=Status(), kind="leave")
    assert update.status == sc.SessionStatus(State.DISCONNECTED, Reason.CLIENT_LEFT)


def test_leave_response_error() -> None:
    update = sc.parse_update(fixture("leave_response_error"))
    assert update.status is None
    assert update.response == Response(8, Status(9, "not joined"), "leave")
    assert not update.response.status.ok


@pytest.mark.parametrize(
    "text",
    [
        '{"resources": [{"sessionStatus": {"connectionState": 2}}]}',
        '{"resources": [{"sessionStatus": []}]}',
        '{"resources": [{"sessionStatus": {"connectionState": "STATE_DISCONNECTED",'
        ' "disconnectReason": 3}}]}',
    ],
)
def test_wrong_types(text: str) -> None:
    with pytest.raises(ChannelFormatError):
        sc.parse_update(text)


def test_reason_ignored_unless_disconnected() -> None:
    text = (
        '{"resources": [{"sessionStatus": {"connectionState": "STATE_JOINED",'
        ' "disconnectReason": "REASON_CLIENT_LEFT"}}]}'
    )
    assert sc.parse_update(text).status == sc.SessionStatus(State.JOINED, None)


def test_unrelated_resource_is_skipped() -> None:
    update = sc.parse_update('{"resources": [{"somethingElse": {}}]}')
    assert update == sc.SessionControlUpdate(response=None, status=None)


def test_encode_leave_request() -> None:
    text = sc.encode_request(sc.LeaveRequest(request_id=7))
    assert json.loads(text) == {"request": {"requestId": 7, "leave": {}}}
    assert sc.parse_request(text) == sc.LeaveRequest(request_id=7)


def test_encode_leave_request_rejects_id_zero() -> None:
    with pytest.raises(ValueError, match="positive"):
        sc.encode_request(sc.LeaveRequest(request_id=0))


@pytest.mark.parametrize(
    "status",
    [
        sc.SessionStatus(State.WAITING),
        sc.SessionStatus(State.JOINED),
        *(sc.SessionStatus(State.DISCONNECTED, reason) for reason in Reason),
    ],
)
def test_status_round_trip(status: sc.SessionStatus) -> None:
    assert sc.parse_update(sc.encode_status(status)).status == status


def test_status_with_response_round_trip() -> None:
    response = Response(request_id=7, status=Status(), kind="leave")
    status = sc.SessionStatus(State.DISCONNECTED, Reason.CLIENT_LEFT)
    text = sc.encode_status(status, response)
    assert json.loads(text) == json.loads(fixture("leave_response_and_status"))
    assert sc.parse_update(text) == sc.SessionControlUpdate(response=response, status=status)
