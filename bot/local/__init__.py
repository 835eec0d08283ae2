"""The terminal chat's in-memory Bot API (tuijie chat, tests); only bot.cli and tests import it."""
