"""WebRTC ingest: WHIP endpoints, peer sessions, the passthrough recorder and the audio tap."""
