"""An impaired network in user space: a UDP relay between two ICE agents that drops and delays
datagrams (this kernel has no queueing disciplines, so ``tc … netem`` is not available).

Both sides' candidates are rewritten to the relay's two ports, so it is the only path:
the client talks to ``client_port`` (the relay stands in for the server), the server to
``server_port`` (it stands in for the client). Loss and delay apply to every datagram, in both
directions: STUN, DTLS, RTP and RTCP alike. Seeded, so a run can be repeated.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"
_CANDIDATE = re.compile(r"^a=candidate:.*$", re.MULTILINE)
_SERVER_ADDR = re.compile(r"^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host", re.MULTILINE | re.I)


@dataclass
class Impairment:
    loss: float = 0.0
    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    seed: int = 13
    loss_to_client: float | None = None  # the server→client direction's own loss, if set


class _Side(asyncio.DatagramProtocol):
    def __init__(self, relay: UdpRelay, name: str) -> None:
        self.relay, self.name = relay, name
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.relay._received(self.name, data, addr)


@dataclass
class UdpRelay:
    impairment: Impairment = field(default_factory=Impairment)
    sent: int = 0
    dropped: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.impairment.seed)
        self._client_addr: tuple[str, int] | None = None
        self._server_addr: tuple[str, int] | None = None
        self._sides: dict[str, _Side] = {}

    async def start(self) -> UdpRelay:
        loop = asyncio.get_running_loop()
        for name in ("client", "server"):
            _, side = await loop.create_datagram_endpoint(
                lambda name=name: _Side(self, name),  # type: ignore[misc]
                local_addr=(HOST, 0),
            )
            self._sides[name] = side
        return self

    def port(self, side: str) -> int:
        return int(self._sides[side].transport.get_extra_info("sockname")[1])

    def close(self) -> None:
        for side in self._sides.values():
            side.transport.close()

    def rewrite_offer(self, offer: str) -> str:
        """The client's offer as the server sees it: the relay is the client's only address."""
        return self._only_candidate(offer, self.port("server"))

    def rewrite_answer(self, answer: str) -> str:
        """The server's answer as the client sees it; remembers the server's real address."""
        match = _SERVER_ADDR.search(answer)
        assert match, "the answer has no UDP host candidate"
        self._server_addr = (match.group(1), int(match.group(2)))
        return self._only_candidate(answer, self.port("client"))

    @staticmethod
    def _only_candidate(sdp: str, port: int) -> str:
        without = _CANDIDATE.sub("", sdp)
        candidate = f"a=candidate:1 1 udp 2130706431 {HOST} {port} typ host"
        sections = re.split(r"(?m)^(?=m=)", without)
        lines = [sections[0]] + [s.rstrip("\r\n") + f"\r\n{candidate}\r\n" for s in sections[1:]]
        return re.sub(r"(?m)^\r?\n", "", "".join(lines))

    def _received(self, side: str, data: bytes, addr: tuple[str, int]) -> None:
        if side == "client":  # from the client, for the server
            if self._client_addr is None:
                self._client_addr = addr
            target, out = self._server_addr, self._sides["server"]
        else:
            target, out = self._client_addr, self._sides["client"]
        if target is None:
            return
        loss = self.impairment.loss
        if side == "server" and self.impairment.loss_to_client is not None:
            loss = self.impairment.loss_to_client
        if self._rng.random() < loss:
            self.dropped += 1
            return
        imp = self.impairment
        delay = max(0.0, imp.delay_ms + self._rng.uniform(-imp.jitter_ms, imp.jitter_ms)) / 1000
        self.sent += 1
        asyncio.get_running_loop().call_later(delay, self._send, out, data, target)

    @staticmethod
    def _send(side: _Side, data: bytes, target: tuple[str, int]) -> None:
        if not side.transport.is_closing():
            side.transport.sendto(data, target)
