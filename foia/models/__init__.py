"""SQLAlchemy models, one module per aggregate."""

from foia.models.agency import CHANGE_STATUSES, Agency, AgencyChange, AgencyReportedStat
from foia.models.audit import AuditLog
from foia.models.calendar import CalendarClosure
from foia.models.clause import Clause
from foia.models.clock import RequestClock
from foia.models.comments import MENTION_STATUSES, NoteMention
from foia.models.communication import (
    COMMUNICATION_KINDS,
    DIRECTIONS,
    Communication,
    Document,
    InternalNote,
    SearchEntry,
    UnmatchedMail,
)
from foia.models.counts import AgencyStatsChange, DeadlineCount, RequestCount
from foia.models.delivery import DELIVERY_STATUSES, Delivery
from foia.models.event import EVENT_KINDS, Event
from foia.models.exchange import (
    WEBHOOK_DELIVERY_STATUSES,
    WEBHOOK_EVENTS,
    WEBHOOK_FORMATS,
    ApiToken,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from foia.models.filing import FilingDraft, RequestGroup
from foia.models.job import JOB_KINDS, JOB_STATUSES, Job
from foia.models.letter import (
    CUSTOM_FIELDS,
    LETTER_KIND_LABELS,
    SEND_METHODS,
    LetterVersion,
)
from foia.models.mailbox import MailboxCursor
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
    QUIET_STATUSES,
    STATUSES,
    VISIBILITIES,
    Request,
)
from foia.models.snapshot import StatsSnapshot
from foia.models.task import TASK_DIRECTIONS, TASK_UNITS, Task
from foia.models.team import AssignmentNotice, RequestTag, SavedView, Tag
from foia.models.user import ROLES, TOKEN_PURPOSES, AccountToken, Organization, User, UserSession

__all__ = [
    "CHANGE_STATUSES",
    "CLOSED_STATUSES",
    "COMMUNICATION_KINDS",
    "CUSTOM_FIELDS",
    "DELIVERY_STATUSES",
    "DIRECTIONS",
    "EVENT_KINDS",
    "FEE_CATEGORIES",
    "JOB_KINDS",
    "JOB_STATUSES",
    "LETTER_KIND_LABELS",
    "MENTION_STATUSES",
    "QUIET_STATUSES",
    "REMINDER_KINDS",
    "REMINDER_RULES",
    "ROLES",
    "RULE_KIND",
    "SEND_METHODS",
    "STATUSES",
    "TASK_DIRECTIONS",
    "TASK_UNITS",
    "TOKEN_PURPOSES",
    "VISIBILITIES",
    "WEBHOOK_DELIVERY_STATUSES",
    "WEBHOOK_EVENTS",
    "WEBHOOK_FORMATS",
    "AccountToken",
    "Agency",
    "AgencyChange",
    "AgencyReportedStat",
    "AgencyStatsChange",
    "ApiToken",
    "AssignmentNotice",
    "AuditLog",
    "CalendarClosure",
    "Clause",
    "Communication",
    "DeadlineCount",
    "Delivery",
    "Document",
    "Event",
    "FilingDraft",
    "InternalNote",
    "Job",
    "LetterVersion",
    "MailboxCursor",
    "NoteMention",
    "Organization",
    "Reminder",
    "Request",
    "RequestClock",
    "RequestCount",
    "RequestGroup",
    "RequestTag",
    "SavedView",
    "SearchEntry",
    "StatsSnapshot",
    "Tag",
    "Task",
    "UnmatchedMail",
    "User",
    "UserSession",
    "Watcher",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]
