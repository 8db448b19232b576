"""Candidates' data rights: copies of their data, erasure with a receipt, retention schedules."""
