"""Receivers owned by the catalog app (live course content events live in lms/realtime_signals)."""
