"""Review: a candidate's answers with playback and transcripts, for the hiring team."""
