"""The MAX front-end (bot.max) against the fake MAX Bot API."""
