"""SQLAlchemy models, one module per aggregate."""

from foia.models.agency import Agency
from foia.models.audit import AuditLog
from foia.models.calendar import CalendarClosure
from foia.models.clock import RequestClock
from foia.models.communication import (
    COMMUNICATION_KINDS,
    DIRECTIONS,
    Communication,
    Document,
    SearchEntry,
    UnmatchedMail,
)
from foia.models.event import EVENT_KINDS, Event
from foia.models.filing import FilingDraft, RequestGroup
from foia.models.letter import (
    CUSTOM_FIELDS,
    LETTER_KIND_LABELS,
    SEND_METHODS,
    LetterVersion,
)
from foia.models.reminder import (
    REMINDER_KINDS,
    REMINDER_RULES,
    RULE_KIND,
    Reminder,
    Watcher,
)
from foia.models.request import (
    CLOSED_STATUSES,
    FEE_CATEGORIES,
    STATUSES,
    VISIBILITIES,
    Request,
)
from foia.models.snapshot import StatsSnapshot
from foia.models.user import ROLES, Organization, User

__all__ = [
    "Agency", "AuditLog", "StatsSnapshot", "Reminder", "Watcher", "REMINDER_KINDS", "REMINDER_RULES", "RULE_KIND", "CalendarClosure", "RequestClock", "Event", "EVENT_KINDS", "Organization", "Request", "User",
    "Communication", "Document", "SearchEntry", "UnmatchedMail", "COMMUNICATION_KINDS", "DIRECTIONS",
    "FilingDraft", "RequestGroup",
    "LetterVersion", "LETTER_KIND_LABELS", "SEND_METHODS", "CUSTOM_FIELDS",
    "ROLES", "STATUSES", "CLOSED_STATUSES", "FEE_CATEGORIES", "VISIBILITIES",
]
