"""A WHIP client built on GStreamer's ``webrtcbin`` with its default settings (Debian's packages,
run by the system Python with PyGObject), for the interop tests.

Streams a WAV file (Opus) in real time and, with ``--video``, a live 640x480 test picture at 20 fps
(VP8), offers non-trickle (all candidates gathered), and ends the answer with a WHIP DELETE when the
file has played. ``--video h264-first`` offers H.264 before VP8 (as clients that prefer H.264 do)
and sends whichever of the two the answer chose. Prints one JSON line: the HTTP results, the SDP
both ways and the number of video frames sent.

    /usr/bin/python3 tests/clients/gst_whip.py URL TOKEN WAV [--video vp8|h264-first]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

VP8_PT, H264_PT, OPUS_PT = 96, 102, 111
H264_CAPS = (
    f"application/x-rtp,media=video,encoding-name=H264,payload={H264_PT},clock-rate=90000,"
    "packetization-mode=(string)1,profile-level-id=(string)42e01f"
)
VP8_CAPS = f"application/x-rtp,media=video,encoding-name=VP8,payload={VP8_PT},clock-rate=90000"


def http(method: str, url: str, token: str, body: bytes | None = None) -> tuple[int, Any, bytes]:
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/sdp"
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url}")
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    except urllib.error.URLError as error:
        return 0, {}, json.dumps({"error": str(error.reason)}).encode()


class Client:
    def __init__(self, url: str, token: str, wav: str, video: str | None) -> None:
        self.url, self.token, self.video = url, token, video
        self.loop = GLib.MainLoop()
        self.result: dict = {"frames_sent": 0}
        self.location: str | None = None
        self.pipeline = Gst.Pipeline.new("whip")
        self.webrtc = Gst.ElementFactory.make("webrtcbin", "webrtc")
        self.pipeline.add(self.webrtc)
        audio = Gst.parse_bin_from_description(
            f"filesrc location={wav} ! wavparse ! audioconvert ! audioresample ! clocksync "
            f'! opusenc ! rtpopuspay pt={OPUS_PT} ! capsfilter caps="application/x-rtp,'
            f'media=audio,encoding-name=OPUS,payload={OPUS_PT}"',
            True,
        )
        self.pipeline.add(audio)
        audio.link(self.webrtc)
        # The end of the file is the end of the answer.
        audio.get_static_pad("src").add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, self._on_event)
        if video == "h264-first":
            # Offer H.264 first, VP8 second (as clients that prefer H.264 do); the camera's
            # encoder is linked once the answer has chosen between them.
            caps = Gst.Caps.from_string(f"{H264_CAPS};{VP8_CAPS}")
            self.webrtc.emit(
                "add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.SENDRECV, caps
            )
        elif video:
            self._link_camera("VP8")
        self.webrtc.connect("on-negotiation-needed", self._on_negotiation_needed)
        self.webrtc.connect("notify::ice-gathering-state", self._on_gathering)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self._on_error)

    def _link_camera(self, codec: str) -> bool:
        """A live 640x480 picture at 20 fps, encoded with the codec and sent on the video line."""
        encoder = (
            f'vp8enc deadline=1 keyframe-max-dist=60 ! rtpvp8pay pt={VP8_PT} ! capsfilter caps="{VP8_CAPS}"'
            if codec == "VP8"
            else "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 ! "
            f'rtph264pay pt={H264_PT} config-interval=-1 ! capsfilter caps="{H264_CAPS}"'
        )
        camera = Gst.parse_bin_from_description(
            "videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=480,"
            f"framerate=20/1 ! videoconvert ! {encoder}",
            True,
        )
        self.pipeline.add(camera)
        pad = camera.get_static_pad("src")
        pad.add_probe(Gst.PadProbeType.BUFFER, self._count)
        # Applying the answer gave the video transceiver a send pad of its own; before an offer
        # the camera asks for one.
        free = [p for p in self.webrtc.sinkpads if not p.is_linked()]
        pad.link(free[0] if free else self.webrtc.request_pad_simple("sink_1"))
        camera.sync_state_with_parent()
        return False

    def _count(self, pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
        if info.get_buffer().has_flags(Gst.BufferFlags.MARKER):
            self.result["frames_sent"] += 1  # the marker bit ends a frame
        return Gst.PadProbeReturn.OK

    def _on_negotiation_needed(self, element: Gst.Element) -> None:
        promise = Gst.Promise.new_with_change_func(self._on_offer, element, None)
        element.emit("create-offer", None, promise)

    def _on_offer(self, promise: Gst.Promise, element: Gst.Element, _: object) -> None:
        promise.wait()
        reply = promise.get_reply()
        if reply.has_field("error"):
            print("create-offer:", reply.get_value("error"), file=sys.stderr)
            return
        element.emit("set-local-description", reply.get_value("offer"), Gst.Promise.new())

    def _on_gathering(self, element: Gst.Element, _: object) -> None:
        state = element.get_property("ice-gathering-state")
        if state == GstWebRTC.WebRTCICEGatheringState.COMPLETE and "offer" not in self.result:
            offer = element.get_property("local-description").sdp.as_text()
            self.result["offer"] = offer
            threading.Thread(target=self._post, args=(offer,), daemon=True).start()

    def _post(self, offer: str) -> None:
        status, headers, body = http("POST", self.url, self.token, offer.encode())
        self.result["post_status"] = status
        if status != 201:
            self.result["post_body"] = json.loads(body or b"{}")
            GLib.idle_add(self.loop.quit)
            return
        self.location = urllib.parse.urljoin(self.url, headers["Location"])
        answer = body.decode()
        self.result["answer"] = answer
        GLib.idle_add(self._set_answer, answer)

    def _set_answer(self, answer: str) -> bool:
        _, sdp = GstSdp.SDPMessage.new_from_text(answer)
        description = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, sdp)
        promise = Gst.Promise.new_with_change_func(self._on_answer_applied, answer)
        self.webrtc.emit("set-remote-description", description, promise)
        return False

    def _on_answer_applied(self, promise: Gst.Promise, answer: str) -> None:
        if self.video == "h264-first":
            video = answer[answer.index("m=video") :]
            codec = re.search(r"a=rtpmap:\d+ (\w+)/90000", video)
            self.result["answered_codec"] = codec.group(1).upper() if codec else None
            if self.result["answered_codec"] in ("VP8", "H264"):
                GLib.idle_add(self._link_camera, self.result["answered_codec"])

    def _on_event(self, pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
        if info.get_event().type == Gst.EventType.EOS:
            threading.Thread(target=self._stop, daemon=True).start()
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    def _stop(self) -> None:
        if self.location:
            status, _, body = http("DELETE", self.location, self.token)
            self.result["delete_status"] = status
            self.result["delete_body"] = json.loads(body or b"{}")
        GLib.idle_add(self.loop.quit)

    def _on_error(self, _bus: Gst.Bus, message: Gst.Message) -> None:
        error, debug = message.parse_error()
        self.result.setdefault("errors", []).append(f"{error.message} ({debug})")
        self._stop()

    def run(self, timeout_s: float) -> dict:
        self.pipeline.set_state(Gst.State.PLAYING)
        GLib.timeout_add(int(timeout_s * 1000), self._timeout)
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        return self.result

    def _timeout(self) -> bool:
        self.result.setdefault("errors", []).append("timed out")
        threading.Thread(target=self._stop, daemon=True).start()
        return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("wav")
    parser.add_argument("--video", choices=["vp8", "h264-first"])
    parser.add_argument("--timeout", type=float, default=90)
    args = parser.parse_args()
    Gst.init(None)
    result = Client(args.url, args.token, args.wav, args.video).run(args.timeout)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
