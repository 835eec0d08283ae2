"""Telegram handlers: small module-level async functions, registered in bot/app.py."""
