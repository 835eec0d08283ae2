"""Handlers for investors: search, details, profile, match, interest, subscriptions, language."""
