"""The receive path under loss, without a network: reassembly and Opus concealment."""

from __future__ import annotations

import random
from fractions import Fraction

import av
import numpy as np
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket

from ingest import reassembly
from ingest.opus import RED, RED_COPY, OpusDecoder, red_blocks
from ingest.reassembly import Reassembler


def audio_packets(n: int, loss: float, seed: int = 1) -> list[RtpPacket]:
    rng = random.Random(seed)
    packets = []
    for seq in range(n):
        if rng.random() >= loss:
            packet = RtpPacket(sequence_number=(60_000 + seq) % 65536, timestamp=seq * 960)
            packet._data = bytes([seq % 256])  # type: ignore[attr-defined]
            packets.append(packet)
    return packets


def test_audio_loss_costs_only_the_lost_packets() -> None:
    packets = audio_packets(1000, 0.05)  # the sequence numbers wrap around on the way
    # Reordered by up to two packets, as 50±20 ms of jitter does.
    for i in range(0, len(packets) - 2, 7):
        packets[i], packets[i + 2] = packets[i + 2], packets[i]
    buffer = Reassembler(capacity=16, prefetch=4)
    out = [ts for p in packets if (f := buffer.add(p)[1]) for ts, _ in f.frames]
    assert out == sorted(out) and len(out) >= len(packets) - reassembly.AUDIO_HOLD_PACKETS
    assert buffer.lost <= 1000 - len(packets)
    # aiortc's own buffer, for comparison, loses several frames per lost packet.
    theirs = JitterBuffer(capacity=16, prefetch=4)
    assert sum(1 for p in packets if theirs.add(p)[1]) < 0.85 * len(packets)


def vp8_packet(seq: int, ts: int, start: bool, marker: bool, key: bool) -> RtpPacket:
    descriptor = bytes([0x10 if start else 0x00])
    body = (b"\x90\x01\x00\x9d\x01\x2a\x80\x02\xe0\x01" if key else b"\x01\x00\x00") + b"x" * 20
    packet = RtpPacket(sequence_number=seq, timestamp=ts, marker=marker)
    packet.payload = descriptor + body
    packet._data = body if start else b"y" * 20  # type: ignore[attr-defined]
    return packet


def test_lost_video_packet_freezes_until_the_next_key_frame_and_asks_for_it(
    monkeypatch: object,
) -> None:
    clock = [100.0]
    monkeypatch.setattr(reassembly.time, "monotonic", lambda: clock[0])  # type: ignore[attr-defined]
    buffer = Reassembler(capacity=512, is_video=True)
    emitted: list[int] = []
    plis = 0

    def feed(packet: RtpPacket) -> None:
        nonlocal plis
        pli, bundle = buffer.add(packet)
        plis += pli
        if bundle:
            emitted.extend(ts for ts, _ in bundle.frames)

    seq = 0
    for frame in range(30):  # two packets a frame, a key frame every 10
        clock[0] += 0.05
        for part in range(2):
            packet = vp8_packet(seq, frame * 4500, part == 0, part == 1, frame % 10 == 0)
            if seq != 25:  # frame 12's second packet is lost for good
                feed(packet)
            seq += 1
    assert emitted[:12] == [f * 4500 for f in range(12)]
    assert emitted[12:] == [f * 4500 for f in range(20, 30)]  # resumed at the key frame
    assert buffer.lost == 1 and plis >= 1


def opus_tone(frames: int) -> list[bytes]:
    """Opus packets of 20 ms each, a tone that changes every packet."""
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = 48_000, "stereo", "s16"
    encoder.time_base = Fraction(1, 48_000)
    encoded: list[bytes] = []
    for n in range(frames):
        tone = (np.sin(np.arange(960) / 10 + n) * 8000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(np.repeat(tone, 2).reshape(1, -1), "s16", "stereo")
        frame.sample_rate, frame.pts = 48_000, n * 960
        encoded += [bytes(p) for p in encoder.encode(frame)]
    return encoded


def red(primary: bytes, *redundant: tuple[int, bytes], payload_type: int = 111) -> bytes:
    """A RED payload (RFC 2198): one 4-byte header per redundant block, then the primary's."""
    headers = b"".join(
        bytes([0x80 | payload_type, back >> 6, (back & 0x3F) << 2 | len(d) >> 8, len(d) & 0xFF])
        for back, d in redundant
    )
    return headers + bytes([payload_type]) + b"".join(d for _, d in redundant) + primary


def test_red_blocks_are_parsed_oldest_first_and_a_truncated_payload_is_refused() -> None:
    payload = red(b"now", (1920, b"two ago"), (960, b"one ago"))
    assert red_blocks(payload) == [(1920, b"two ago"), (960, b"one ago"), (0, b"now")]
    assert red_blocks(red(b"only")) == [(0, b"only")]
    other = red(b"now", (960, b"comfort noise"), payload_type=111)
    other = bytes([0x80 | 13]) + other[1:]  # a redundant block of another payload type
    assert red_blocks(other) == [(0, b"now")]
    for broken in (b"", payload[:3], payload[:12]):
        try:
            red_blocks(broken)
        except ValueError:
            continue
        raise AssertionError(f"accepted {broken!r}")


def test_red_recovers_each_lost_packet_exactly_as_sent() -> None:
    """With one redundant copy, a packet lost alone is decoded from the next packet's copy: the
    output is sample for sample the lossless decode, and the recovered frames are marked."""
    encoded = opus_tone(60)
    lossless = OpusDecoder()
    expected = [
        lossless.decode(reassembly.FrameBundle([(n * 960, d)])) for n, d in enumerate(encoded)
    ]
    decoder = OpusDecoder(red=True)
    frames = []
    lost = {5, 17, 18, 40}  # 17 and 18 in a row: 17 has no copy left, it is concealed
    for n, data in enumerate(encoded):
        if n in lost:
            continue
        copies = [(960, encoded[n - 1])] if n else []
        frames += decoder.decode(reassembly.FrameBundle([(n * 960, red(data, *copies))]))
    assert [f.pts for f in frames] == [n * 960 for n in range(60)]
    assert decoder.redundant_packets == 3 and decoder.concealed_samples == 960
    assert [f.pts for f in frames if f.opaque == RED_COPY] == [5 * 960, 18 * 960, 40 * 960]
    assert all(f.opaque in (RED, RED_COPY) for f in frames)
    same = [
        n for n in range(17) if np.array_equal(frames[n].to_ndarray(), expected[n][0].to_ndarray())
    ]
    assert same == list(range(17))  # up to the first unrecoverable loss, nothing differs


def test_opus_decoder_keeps_the_rtp_timeline_across_lost_packets() -> None:
    encoded = opus_tone(50)
    decoder = OpusDecoder()
    frames = []
    for n, data in enumerate(encoded):
        if n in (10, 20, 21, 22):  # one lost packet, then three in a row
            continue
        bundle = reassembly.FrameBundle([(n * 960, data)])
        frames += decoder.decode(bundle)
    positions = [f.pts for f in frames]
    assert positions == sorted(positions)
    assert sum(f.samples for f in frames) == len(encoded) * 960  # nothing missing
    assert decoder.concealed_samples == 4 * 960
