"""What other WebRTC stacks send, made acceptable to aiortc, in one place.

Each rule here was measured against a real client (see docs/whip.md, "Clients"):

- **mDNS host candidates** (Firefox's default, ``<uuid>.local``): the server cannot resolve a
  client's LAN name, and with ``a=end-of-candidates`` aioice then gives up before the browser's
  connectivity checks arrive. ``clean_offer`` drops such candidates and, when it did, the
  end-of-candidates marker, so the checks' peer-reflexive candidates connect.
- **DTLS role**: for an ``actpass`` offer aiortc answers ``active`` (DTLS client) and offers only
  ECDSA suites, which fails against GStreamer ``webrtcbin``'s RSA certificate ("no shared
  cipher"). ``answer_as_dtls_server`` makes the ingest the DTLS server (``a=setup:passive``), which
  every client must accept for an ``actpass`` offer (RFC 8842). It sets the transport's role
  through aiortc's private ``RTCDtlsTransport._set_role``, the only hook there is; a test pins it.
- **Codec order**: aiortc keeps the offer's order, so an offer listing H.264 first would be
  answered H.264, which the ingest does not record. ``recv_transceivers`` prepares the
  transceivers with VP8 (and its retransmission format) as the only video codec before the offer
  is applied.
- **Opus in-band FEC**: senders add FEC only when the receiver's format parameters ask for it;
  ``ask_for_opus_fec`` adds ``useinbandfec=1`` to the answer's Opus line.
- **RED for Opus** (RFC 2198): Chromium offers ``red/48000/2`` after Opus and sends it only when
  the answer lists it first; aiortc does not know the format. ``receive_red`` puts the offer's
  RED format first in the audio transceiver's negotiated codecs (aiortc's private
  ``_codecs``, read by its answer and its receiver), only for an offer that has it, so clients
  that cannot send RED (aiortc, GStreamer) are never asked to.

``IncomingChecks`` tells a blocked network from a failed one: it counts the client's ICE
connectivity checks (STUN requests) that reached the ingest. None at all means the client's UDP
never arrived (a firewall); checks without a working pair mean ICE failed.
"""

from __future__ import annotations

import re
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpReceiver
from aiortc.sdp import SessionDescription

_CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ (\S+) ", re.IGNORECASE)
_OPUS = re.compile(r"^a=rtpmap:(\d+) opus/48000", re.IGNORECASE)
_FMTP = re.compile(r"^a=fmtp:(\d+) ")
VIDEO_CODECS = ("video/vp8", "video/rtx")


def clean_offer(sdp: str) -> str:
    """Drop candidates the server cannot resolve (and then ``a=end-of-candidates``)."""
    lines = sdp.splitlines()
    kept = [
        line
        for line in lines
        if not ((m := _CANDIDATE.match(line)) and m.group(1).lower().endswith(".local"))
    ]
    if len(kept) != len(lines):
        kept = [line for line in kept if line.strip() != "a=end-of-candidates"]
    return "\r\n".join(kept) + "\r\n"


def offered_kinds(sdp: str) -> list[str]:
    return [line[2:].split(" ", 1)[0] for line in sdp.splitlines() if line.startswith("m=")]


def recv_transceivers(pc: RTCPeerConnection, kinds: list[str]) -> None:
    """One receive-only transceiver per offered audio/video line, video limited to VP8."""
    capabilities = RTCRtpReceiver.getCapabilities("video")
    assert capabilities is not None
    vp8 = [c for c in capabilities.codecs if c.mimeType.lower() in VIDEO_CODECS]
    for kind in kinds:
        if kind in ("audio", "video"):
            transceiver = pc.addTransceiver(kind, direction="recvonly")
            if kind == "video":
                transceiver.setCodecPreferences(vp8)


def receive_red(pc: RTCPeerConnection, offer_sdp: str) -> bool:
    """Answer with the offer's RED format first where it carries the Opus we receive (``fmtp``
    ``111/111``); True when it did. Call after the offer is applied, before the answer."""
    sections = [m for m in SessionDescription.parse(offer_sdp).media if m.kind == "audio"]
    audio = [t for t in pc.getTransceivers() if t.kind == "audio"]
    asked = False
    for section, transceiver in zip(sections, audio, strict=False):
        codecs: list[Any] = transceiver._codecs
        opus = {str(c.payloadType) for c in codecs if c.mimeType.lower() == "audio/opus"}
        for codec in section.rtp.codecs:
            carried = set("/".join(codec.parameters).split("/")) if codec.parameters else set()
            if codec.mimeType.lower() == "audio/red" and carried and carried <= opus:
                codecs.insert(0, codec)
                asked = True
                break
    return asked


def answer_as_dtls_server(pc: RTCPeerConnection) -> None:
    """Take the DTLS server role wherever the offer left the choice to us (``actpass``)."""
    for transceiver in pc.getTransceivers():
        transport: Any = transceiver.receiver.transport
        if transport._role == "auto":
            transport._set_role("server")


def ask_for_opus_fec(sdp: str) -> str:
    """Add ``useinbandfec=1`` to the answer's Opus format parameters."""
    lines = sdp.splitlines()
    opus = {m.group(1) for line in lines if (m := _OPUS.match(line))}
    with_fmtp = {m.group(1) for line in lines if (m := _FMTP.match(line)) and m.group(1) in opus}
    out: list[str] = []
    for line in lines:
        fmtp = _FMTP.match(line)
        if fmtp and fmtp.group(1) in opus and "useinbandfec" not in line:
            line += ";useinbandfec=1"
        out.append(line)
        rtpmap = _OPUS.match(line)
        if rtpmap and rtpmap.group(1) not in with_fmtp:
            out.append(f"a=fmtp:{rtpmap.group(1)} useinbandfec=1")
    return "\r\n".join(out) + "\r\n"


class IncomingChecks:
    """How many ICE connectivity checks from the client reached this peer connection."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.count = 0
        seen: set[int] = set()
        for transceiver in pc.getTransceivers():
            connection: Any = transceiver.receiver.transport.transport._connection
            if id(connection) in seen:  # bundled media lines share one ICE connection
                continue
            seen.add(id(connection))
            received = connection.request_received  # aioice's STUN request handler

            def counted(*args: Any, _received: Any = received) -> Any:
                self.count += 1
                return _received(*args)

            connection.request_received = counted
