"""Reminders: rows planned from the clocks, sent exactly once by the scheduler; watchers; calendar feeds."""
