"""SQLAlchemy models, one module per aggregate."""

from .agency import Agency
from .audit import AuditLog
from .calendar import CalendarClosure
from .clock import RequestClock
from .communication import COMMUNICATION_KINDS, DIRECTIONS, Communication, Document, SearchEntry, UnmatchedMail
from .event import EVENT_KINDS, Event
from .filing import FilingDraft, RequestGroup
from .letter import CUSTOM_FIELDS, LETTER_KIND_LABELS, SEND_METHODS, LetterVersion
from .reminder import REMINDER_KINDS, REMINDER_RULES, RULE_KIND, Reminder, Watcher
from .snapshot import StatsSnapshot
from .request import CLOSED_STATUSES, FEE_CATEGORIES, STATUSES, VISIBILITIES, Request
from .user import ROLES, Organization, User

__all__ = [
    "Agency", "AuditLog", "StatsSnapshot", "Reminder", "Watcher", "REMINDER_KINDS", "REMINDER_RULES", "RULE_KIND", "CalendarClosure", "RequestClock", "Event", "EVENT_KINDS", "Organization", "Request", "User",
    "Communication", "Document", "SearchEntry", "UnmatchedMail", "COMMUNICATION_KINDS", "DIRECTIONS",
    "FilingDraft", "RequestGroup",
    "LetterVersion", "LETTER_KIND_LABELS", "SEND_METHODS", "CUSTOM_FIELDS",
    "ROLES", "STATUSES", "CLOSED_STATUSES", "FEE_CATEGORIES", "VISIBILITIES",
]
