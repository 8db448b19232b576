-- migrate:up
-- Why an answer's media failed, as a stable code beside the reason in words: udp_blocked,
-- ice_failed, dtls_failed, no_media, no_video, storage_failed, recording_failed,
-- connection_lost (see ingest/service.py FAILURES). The candidate page words each code in the
-- candidate's language, with what to try.
ALTER TABLE answers ADD COLUMN failure_code text;

-- migrate:down
ALTER TABLE answers DROP COLUMN failure_code;
