"""Candidate Response: the public candidate experience (consent, attempts, answers, finish)."""
