"""Interview Management: interviews, questions with rubrics, candidates and their links."""
