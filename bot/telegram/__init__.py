"""Telegram's kit: the bot (aiogram's own session, or one pointed at another Bot API), the
delivery worker's sender over aiogram (its error mapping serves MAX's bot too, whose session
raises aiogram's exceptions), the webhook that answers only once an update is handled, and
the reader of Telegram's files for MAX."""
