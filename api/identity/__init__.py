"""Identity & Access: organizations, users, roles, sessions, tokens, API keys."""
