"""The administrator's pages: calendars and closures, reminder failures, the mail outbox."""
