"""How much one message may hold, in whichever messenger it goes out: the one place that
sizes a screen, a push or a stored text for a message.

The messengers differ: one takes 4,096 characters a message and 1,024 in a photo's or a
document's caption; MAX takes 4,000 and carries a file's text in the message itself, so there
the caption limit is the text limit. Every text is sized for the smaller of each, so one text
serves every messenger.
"""

from __future__ import annotations

# A message's text: the smaller of the messengers' limits (MAX 4,000; the other 4,096).
MESSAGE_LIMIT = 4000
# A file's caption: 1,024 where captions have a limit of their own (in MAX the text's).
CAPTION_LIMIT = 1024
