"""Counting by storage area (CONTRACT §14): count sheets, count sessions, their lines, variance, posting.

Imports its modules so that queries.check_all_used() sees every query they take."""

from neuropilot.counting import lines, models, sessions, sheets

__all__ = ["lines", "models", "sessions", "sheets"]
