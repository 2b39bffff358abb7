"""Test harness: a recording bot for handler tests and a fake Bot API server for e2e tests."""

from tests.support.fake_api import ApiRequest, FakeBotAPI, UploadedFile
from tests.support.recording import (
    BOT_ID,
    BOT_TOKEN,
    BOT_USERNAME,
    DEFAULT_USER,
    BotTester,
    RecordingSession,
    TgUser,
    bot_message,
    callback,
    document_message,
    group_message,
    make_bot,
    photo_message,
    private_message,
)

__all__ = [
    "BOT_ID",
    "BOT_TOKEN",
    "BOT_USERNAME",
    "DEFAULT_USER",
    "ApiRequest",
    "BotTester",
    "FakeBotAPI",
    "RecordingSession",
    "TgUser",
    "UploadedFile",
    "bot_message",
    "callback",
    "document_message",
    "group_message",
    "make_bot",
    "photo_message",
    "private_message",
]
