-- migrate:up
-- An email's link (reset, verification, invitation, candidate: each carries a token that is
-- stored only hashed elsewhere) is kept here until the email is sent or fails for good; the
-- stored bodies hold a marker in its place (api/notification/repository.py).
ALTER TABLE email_deliveries ADD COLUMN link text;

-- migrate:down
ALTER TABLE email_deliveries DROP COLUMN link;
