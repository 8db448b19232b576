"""Fairview composition root: settings, CLI, logging and process wiring."""
