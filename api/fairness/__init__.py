"""Fairness: voluntary self-identification and the adverse-impact report."""
