-- migrate:up
-- Transcript quality before judgment: how confident the speech-to-text was over an answer
-- (Whisper's average log-probability and no-speech probability, weighted by segment duration;
-- each segment's own values are in `segments`), how many words came from confident segments,
-- and an evaluation that abstains when an answer holds too little clear speech.
ALTER TABLE transcripts
  ADD COLUMN avg_logprob real,
  ADD COLUMN no_speech_prob real,
  ADD COLUMN clear_words integer;

ALTER TABLE evaluations DROP CONSTRAINT evaluations_status_check;
ALTER TABLE evaluations ADD CONSTRAINT evaluations_status_check
  CHECK (status IN ('ready', 'failed', 'skipped', 'abstained'));

-- migrate:down
DELETE FROM evaluations WHERE status = 'abstained';
ALTER TABLE evaluations DROP CONSTRAINT evaluations_status_check;
ALTER TABLE evaluations ADD CONSTRAINT evaluations_status_check
  CHECK (status IN ('ready', 'failed', 'skipped'));
ALTER TABLE transcripts DROP COLUMN avg_logprob, DROP COLUMN no_speech_prob, DROP COLUMN clear_words;
