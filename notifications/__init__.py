"""Outbox delivery, scheduled jobs and push rendering."""
