"""A minimal raw aiortc Media API client for the emulator tests, capturing what it receives."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

LABELS = ("session-control", "media-stats", "participants", "media-entries", "video-assignment")


@dataclass(frozen=True)
class Packet:
    """One RTP packet as a receiver saw it."""

    stream: int
    ssrc: int
    sequence_number: int
    timestamp: int
    csrc: tuple[int, ...]


class MediaPeer:
    """3 recvonly audio transceivers (+ video), the data channels created before the offer."""

    def __init__(self, *, audio: int = 3, video: int = 0, labels: tuple[str, ...] = LABELS):
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.packets: list[Packet] = []
        for kind, count in (("audio", audio), ("video", video)):
            for _ in range(count):
                self.pc.addTransceiver(kind, direction="recvonly")
        for index, transceiver in enumerate(self.pc.getTransceivers()):
            self._capture(index, transceiver.receiver)
        self.channels = {label: self.pc.createDataChannel(label, ordered=True) for label in labels}
        for label, channel in self.channels.items():
            channel.on("message", lambda data, label=label: self._received(label, data))

    def _capture(self, index: int, receiver: Any) -> None:
        """Wrap this receiver's packet handler (aiortc has no getContributingSources)."""
        original = receiver._handle_rtp_packet

        async def handle(packet: Any, arrival_time_ms: int) -> None:
            self.packets.append(
                Packet(
                    index,
                    packet.ssrc,
                    packet.sequence_number,
                    packet.timestamp,
                    tuple(packet.csrc),
                )
            )
            await original(packet, arrival_time_ms=arrival_time_ms)

        receiver._handle_rtp_packet = handle

    def _received(self, label: str, data: Any) -> None:
        self.messages[label].append(json.loads(data))

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def connect(
        self, http: aiohttp.ClientSession, url: str, token: str, *, body: Any = None
    ) -> tuple[int, dict[str, Any]]:
        """POST the offer (or ``body``); on success apply the answer."""
        payload = body if body is not None else {"offer": await self.offer()}
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post(url, json=payload, headers=headers) as response:
            status, answer = response.status, await response.json()
        if status == 200:
            await self.pc.setRemoteDescription(
                RTCSessionDescription(sdp=answer["answer"], type="answer")
            )
        return status, answer

    def send(self, label: str, message: dict[str, Any]) -> None:
        self.channels[label].send(json.dumps(message))

    def statuses(self) -> list[dict[str, Any]]:
        """Every sessionStatus received on session-control, in order."""
        return [
            resource["sessionStatus"]
            for message in self.messages["session-control"]
            for resource in message.get("resources", [])
            if "sessionStatus" in resource
        ]

    def resources(self, label: str, kind: str) -> list[dict[str, Any]]:
        return [
            resource
            for message in self.messages[label]
            for resource in message.get("resources", [])
            if kind in resource
        ]

    async def close(self) -> None:
        await self.pc.close()
