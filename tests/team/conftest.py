"""The real SMTP server of the reminder tests (aiosmtpd), for the assignment emails."""

from tests.reminders.conftest import smtp  # noqa: F401  (a fixture)
