"""Speech-to-text and evaluation: pure functions of audio and text. Imports nothing of Fairview's."""
