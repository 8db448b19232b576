"""Fairness and data rights: AI oversight, candidates' requests and notices."""
