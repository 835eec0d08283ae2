"""Handlers for the office (TUIJIE_ADMIN_IDS): catalog edits, imports, leads, stats."""
