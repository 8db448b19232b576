// Publishing a media stream to Fairview's ingest with WHIP (RFC 9725): one HTTP offer/answer,
// then WebRTC media; DELETE on the session URL ends it.

export interface WhipSession {
  pc: RTCPeerConnection;
  location: string;
  stop(): Promise<Response>;
}

export class WhipError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** VP8 first: the ingest records VP8 without re-encoding it. */
export function preferVp8(codecs: RTCRtpCodec[]): RTCRtpCodec[] {
  const vp8 = codecs.filter((c) => c.mimeType.toLowerCase() === "video/vp8");
  const helpers = codecs.filter((c) => /\/(rtx|red|ulpfec)$/i.test(c.mimeType));
  return vp8.length ? [...vp8, ...helpers] : codecs;
}

function iceGathered(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", done);
        resolve();
      }
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, timeoutMs); // send what we have: host candidates come first
  });
}

export async function publish(url: string, token: string, stream: MediaStream): Promise<WhipSession> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  for (const track of stream.getTracks()) {
    const transceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    if (track.kind === "video" && typeof RTCRtpSender.getCapabilities === "function") {
      const caps = RTCRtpSender.getCapabilities("video");
      if (caps) transceiver.setCodecPreferences(preferVp8(caps.codecs));
    }
  }
  await pc.setLocalDescription(await pc.createOffer());
  await iceGathered(pc, 2000);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/sdp" },
      body: pc.localDescription!.sdp,
    });
  } catch (error) {
    pc.close();
    throw new WhipError(0, "network", String(error));
  }
  if (response.status !== 201) {
    pc.close();
    const body = await response.json().catch(() => ({}));
    throw new WhipError(response.status, body.error ?? "error", body.detail ?? response.statusText);
  }
  const location = new URL(response.headers.get("Location")!, url).toString();
  await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
  return {
    pc,
    location,
    async stop() {
      try {
        return await fetch(location, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } });
      } finally {
        pc.close();
      }
    },
  };
}
