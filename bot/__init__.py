"""Composition root: configuration, dispatcher, CLI and runners."""
