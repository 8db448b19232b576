"""Reporting & Analytics: comparison, shortlist, exports and the funnel, read from what the other contexts store."""
