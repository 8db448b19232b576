"""Live view: recruiters watch the transcript of an interview in progress."""
