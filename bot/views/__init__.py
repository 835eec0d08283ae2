"""Presentation: every user-facing sentence (locale files), cards, keyboards, answers, charts."""
