"""What the screens are made of, for both messengers: the settings, keyboards and callback data,
the texts, the files and pictures (reports, charts, invite sheets, paper diaries, the archive),
the menus, and the middlewares that tell who is asking. The handlers stand on it; the
composition root and the console (``bot/``) put it together. Nothing here imports ``bot`` or
``handlers``."""
