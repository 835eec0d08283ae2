"""Sending under Telegram's limits: the outbox sender, the send limiter, digests, flood control."""
