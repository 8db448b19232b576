"""The operators' admin API: organizations, users, usage, suspension (operator keys only)."""
