// A WHIP client built on werift (an independent WebRTC stack in TypeScript, from npm), with its
// default codecs and settings, for the interop tests. Its microphone and camera are a GStreamer
// pipeline (a WAV file as Opus in real time, a live 640x480 test picture at 20 fps as VP8) that
// hands RTP to the werift tracks over loopback UDP, as werift's own examples feed media.
//
//   node tests/clients/werift_whip.mjs URL TOKEN WAV SECONDS
//
// Prints one JSON line: the HTTP results, both SDPs and the number of video frames sent.
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { createRequire } from "node:module";

const require = createRequire(new URL("../../web/package.json", import.meta.url));
const { MediaStreamTrack, RTCPeerConnection, RtpPacket } = require("werift");

const [url, token, wav, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg);
const result = { frames_sent: 0 };

function payloadType(sdp, kind, codec) {
  const section = sdp.split(/^m=/m).find((s) => s.startsWith(kind));
  const match = section?.match(new RegExp(`a=rtpmap:(\\d+) ${codec}/`, "i"));
  if (!match) throw new Error(`no ${codec} in the ${kind} section`);
  return Number(match[1]);
}

async function socket(onPacket) {
  const sock = dgram.createSocket("udp4");
  sock.on("message", onPacket);
  await new Promise((resolve) => sock.bind(0, "127.0.0.1", resolve));
  return sock;
}

async function until(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main() {
  const pc = new RTCPeerConnection({});
  const audio = new MediaStreamTrack({ kind: "audio" });
  const video = new MediaStreamTrack({ kind: "video" });
  pc.addTransceiver(audio, { direction: "sendonly" });
  pc.addTransceiver(video, { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  await until(() => pc.iceGatheringState === "complete", 10_000, "ICE gathering");
  const offer = pc.localDescription.sdp;
  result.offer = offer;
  const auth = { Authorization: `Bearer ${token}` };
  const posted = await fetch(url, {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/sdp" },
    body: offer,
  });
  result.post_status = posted.status;
  if (posted.status !== 201) {
    result.post_body = await posted.json().catch(() => ({}));
    await pc.close();
    return;
  }
  const location = new URL(posted.headers.get("location"), url).toString();
  result.answer = await posted.text();
  await pc.setRemoteDescription({ type: "answer", sdp: result.answer });
  await until(() => pc.connectionState === "connected", 15_000, "the connection");

  const opusPt = payloadType(offer, "audio", "opus");
  const vp8Pt = payloadType(offer, "video", "VP8");
  const forward = (track, pt, isVideo) => (data) => {
    const rtp = RtpPacket.deSerialize(data);
    rtp.header.payloadType = pt;
    if (isVideo && rtp.header.marker) result.frames_sent += 1;
    track.writeRtp(rtp);
  };
  const audioIn = await socket(forward(audio, opusPt, false));
  const videoIn = await socket(forward(video, vp8Pt, true));
  const media = spawn(
    "gst-launch-1.0",
    [
      "-q",
      "filesrc", `location=${wav}`, "!", "wavparse", "!", "audioconvert", "!", "audioresample",
      "!", "clocksync", "!", "opusenc", "!", "rtpopuspay", "mtu=1200", "!",
      "udpsink", "host=127.0.0.1", `port=${audioIn.address().port}`,
      "videotestsrc", "is-live=true", "pattern=ball", `num-buffers=${Math.round(seconds * 20)}`,
      "!", "video/x-raw,width=640,height=480,framerate=20/1", "!", "videoconvert", "!",
      "vp8enc", "deadline=1", "keyframe-max-dist=60", "!", "rtpvp8pay", "mtu=1200", "!",
      "udpsink", "host=127.0.0.1", `port=${videoIn.address().port}`,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const code = await new Promise((resolve) => media.on("exit", resolve));
  if (code !== 0) result.errors = [`gst-launch-1.0 exited with ${code}`];
  const stopped = await fetch(location, { method: "DELETE", headers: auth });
  result.delete_status = stopped.status;
  result.delete_body = await stopped.json().catch(() => ({}));
  audioIn.close();
  videoIn.close();
  await pc.close();
}

main()
  .catch((error) => {
    result.errors = [String(error?.stack ?? error)];
  })
  .finally(() => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  });
