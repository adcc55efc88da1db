"""What to do next on a request, and which letters make sense now.

Pure functions: they read the request, its clocks (as `foia.clocks.service.clock_rows` gives them), its
letter versions, deliveries, communications and ledger events, and today's date, and return what the
request page leads with. No database, no Flask, no clock: the caller passes everything (so each state is
unit-tested by building a real request through the services and handing its parts in).

`next_step(...)` returns ONE primary action for the request's state (or none: closed requests only offer
the evidence bundle). `allowed_letter_kinds(...)` says which letter kinds may be drafted now; the request
page offers only those and the letters "new" route refuses the others. `appeal_window(...)` is the open
appeal-filing clock, so a later interim release cannot hide that the appeal window is still open.
`clock_phrase(...)` names a law's clock for confirmation dialogs ("the 20-working-day response clock under
the Freedom of Information Act (5 U.S.C. § 552(a)(6)(A)(i))"), from the law data, never hard-coded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Statuses after an adverse determination (the appeal window opens; see communications.effects).
ADVERSE_STATUSES = frozenset({"partially_denied", "denied", "no_records"})
ADVERSE_VERBS = {"partially_denied": "partially denied", "denied": "denied",
                 "no_records": "said it found no records for"}
DONE_STATUSES = frozenset({"released", "withdrawn", "closed"})
LETTER_KINDS = ("request", "follow-up", "appeal")


@dataclass(frozen=True)
class Action:
    """A link the page renders with url_for(endpoint, **params) + anchor."""
    label: str
    endpoint: str
    params: Mapping[str, Any] = field(default_factory=dict)
    anchor: str = ""


@dataclass(frozen=True)
class NextStep:
    key: str                    # machine name of the state (tests, CSS hooks)
    heading: str                # one line: what is going on
    text: str                   # the detail (dates, days left)
    action: Action | None       # the one primary action (None: nothing to do but keep the record)
    secondary: tuple[Action, ...] = ()
    tone: str = "info"          # USWDS alert variant: info, warning, error, success


def long_date(d: date) -> str:
    """'Friday, Jan 9, 2027' (the date as the page's next-step box shows it)."""
    return f"{d.strftime('%A, %b')} {d.day}, {d.year}"


def short_date(d: date) -> str:
    return f"{d.strftime('%b')} {d.day}, {d.year}"


def _days(n: int, unit: str) -> str:
    unit = unit.replace(" days", "").strip()  # clock_rows says "working days" / "calendar days"
    return f"{n} {unit} day{'s' if n != 1 else ''}"


def _row(rows: Iterable[Mapping[str, Any]], kind: str, status: str = "open") -> Mapping[str, Any] | None:
    return next((r for r in rows if r["clock"].kind == kind and r["clock"].status == status), None)


def appeal_window(rows: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The open appeal-filing clock (with a date), or None. Based on the clock, not on the status: after a
    partial denial an interim release moves the status to "Partially released" while the window stays open."""
    row = _row(rows, "appeal_filing")
    if row is None or row["clock"].due is None:
        return None
    return row


def _live(items: Iterable[Any]) -> list[Any]:
    return [x for x in items if getattr(x, "voided_at", None) is None]


def request_letter_sent(letters: Sequence[Any]) -> bool:
    return any(v.kind == "request" and v.sent_at is not None for v in letters)


def allowed_letter_kinds(req: Any, letters: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Letter kinds that may be drafted now -> "" ; kinds that may not -> why (shown when refused).

    - a request letter only until the request letter was sent;
    - a follow-up only after it was sent, while the request is open;
    - an appeal only while an appeal-filing clock is open (an adverse determination)."""
    sent = request_letter_sent(letters) or req.sent_at is not None
    is_open = req.status not in DONE_STATUSES
    why: dict[str, str] = {}
    why["request"] = "" if not sent else "The request letter was already sent; draft a follow-up instead."
    if not sent:
        why["follow-up"] = "A follow-up comes after the request was sent; send the request letter first."
    elif not is_open:
        why["follow-up"] = "This request is closed; there is nothing to follow up."
    else:
        why["follow-up"] = ""
    why["appeal"] = "" if appeal_window(rows) is not None else (
        "An appeal is possible only after an adverse determination (a denial, partial denial or \"no records\"), "
        "while the appeal window is open.")
    return why


def _letter_action(letters: Sequence[Any], kind: str, ref: str, new_label: str, draft_label: str) -> Action:
    """Open the latest unsent draft/final of this kind, or draft a new one."""
    mine = [v for v in letters if v.kind == kind and v.sent_at is None]
    if mine:
        latest = max(mine, key=lambda v: v.version)
        return Action(draft_label, "letters.show", {"ref": ref, "version_id": latest.id})
    return Action(new_label, "letters.new", {"ref": ref, "kind": kind})


def next_step(req: Any, *, rows: Sequence[Mapping[str, Any]], letters: Sequence[Any], deliveries: Sequence[Any],
              communications: Sequence[Any], events: Sequence[Any], today: date, can_email: bool) -> NextStep:
    """The request page's one primary action (see the module docstring).

    `rows`: clock_rows(...) of the request (clock, left, left_unit); `letters`: its letter versions;
    `deliveries`: its emailed letters (newest first); `communications`, `events`: its correspondence and
    ledger; `can_email`: the agency has an email address for requests and the app can send mail."""
    ref = req.ref
    agency = req.agency.name
    comm_new = Action("Log the agency's answer", "communications.new", {"ref": ref})
    bundle = Action("Download the evidence bundle", "mailroom.export", {"ref": ref})

    # A bounced delivery that nothing has replaced yet (no later accepted email of that letter kind, and for a
    # request letter no other "sent" in the ledger, e.g. recorded as sent by post).
    bounced = next((d for d in deliveries if d.status == "bounced"), None)
    if bounced is not None:
        resent = any(d.kind == bounced.kind and d.status == "accepted" and d.created_at > bounced.created_at
                     for d in deliveries)
        if bounced.kind == "request":
            resent = resent or any(e.kind == "sent" and e.id != bounced.event_id for e in _live(events))
        if not resent:
            version = next((v for v in letters if v.id == bounced.letter_version_id), None)
            target = (Action("Send again or record another way", "letters.show", {"ref": ref, "version_id": version.id})
                      if version is not None
                      else Action("Send again or record another way", "requests.show", {"ref": ref}, "letters"))
            return NextStep("delivery_failed", "Delivery failed",
                            f"The email to {bounced.to_addr} bounced: {bounced.bounce_reason or 'no reason given'}. "
                            "Check the agency's address, then send the letter again or record how else it went.",
                            target, tone="error")

    to_classify = [c for c in _live(communications) if getattr(c, "review_status", None) == "to_classify"]
    if to_classify and req.status not in DONE_STATUSES:
        c = to_classify[0]
        more = f" ({len(to_classify)} replies wait)" if len(to_classify) > 1 else ""
        return NextStep("classify", "Classify the agency's reply",
                        f"A reply from {agency} of {short_date(c.occurred_on)} is waiting: say what it is, so the "
                        f"deadlines follow it{more}.",
                        Action("Classify the agency's reply", "requests.show", {"ref": ref}, f"communication-{c.id}"),
                        tone="warning")

    if req.status == "draft":
        requests_ = [v for v in letters if v.kind == "request" and v.sent_at is None]
        finals = [v for v in requests_ if v.is_final]
        if finals:
            latest = max(finals, key=lambda v: v.version)
            if can_email:
                return NextStep("send", "Send it",
                                f"Version {latest.version} of the request letter is final. Email it to {agency} "
                                "from here; the response clock starts when the mail server accepts it.",
                                Action("Send it", "letters.show", {"ref": ref, "version_id": latest.id}, "email-heading"))
            return NextStep("record_sent", "Send it, then record how you sent it",
                            f"Version {latest.version} of the request letter is final. Send it to {agency} (portal, "
                            "mail or fax), then record how and when you sent it: that starts the response clock.",
                            Action("Record how you sent it", "letters.show", {"ref": ref, "version_id": latest.id},
                                   "sent-heading"))
        if requests_:
            latest = max(requests_, key=lambda v: v.version)
            return NextStep("finish_letter", "Finish and finalize the letter",
                            f"Version {latest.version} of the request letter is a draft. Check it, then finalize it "
                            "to make the PDF.",
                            Action("Finish and finalize the letter", "letters.show",
                                   {"ref": ref, "version_id": latest.id}))
        return NextStep("write_letter", "Write the request letter",
                        f"This request to {agency} is a draft. The app drafts the letter from the law's wording; "
                        "you add an opening and a closing if you like.",
                        Action("Write the request letter", "letters.new", {"ref": ref, "kind": "request"}))

    if req.status in DONE_STATUSES:
        return NextStep("done", f"{req.status_label}", "Nothing is left to do on this request. The evidence bundle "
                        "keeps its letters, correspondence, documents and timeline with checksums.",
                        bundle, tone="success")

    appeal_decision = _row(rows, "appeal_decision")
    if req.status == "appealing" or appeal_decision is not None:
        if appeal_decision is not None and appeal_decision["clock"].due is not None:
            due = appeal_decision["clock"].due
            left = appeal_decision["left"]
            if left is not None and left < 0:
                text = (f"The appeal decision was due {long_date(due)}: overdue by "
                        f"{_days(-left, appeal_decision['left_unit'])}.")
            else:
                text = f"Appeal decision due {long_date(due)}" + (
                    f" ({_days(left, appeal_decision['left_unit'])} left)." if left is not None else ".")
        else:
            text = "The appeal was filed; no decision date could be computed."
        return NextStep("appeal_waiting", "Waiting for the appeal decision", text,
                        Action("Log the decision", "communications.new", {"ref": ref, "kind": "appeal_decision"}))

    window = appeal_window(rows)
    if window is not None:
        due = window["clock"].due
        det = max((e for e in _live(events) if e.kind == "determination"),
                  key=lambda e: (e.occurred_on, e.id or 0), default=None)
        verb = ADVERSE_VERBS.get(req.status, "made an adverse determination on")
        if req.status not in ADVERSE_STATUSES:
            verb = "made an adverse determination on"
        when = f" on {short_date(det.occurred_on)}" if det is not None else ""
        left = window["left"]
        left_text = f" ({_days(left, window['left_unit'])} left)" if left is not None and left >= 0 else ""
        return NextStep("appeal", "You can appeal",
                        f"{agency} {verb} this{when}: you can appeal until {short_date(due)}{left_text}.",
                        Action("Draft the appeal", "letters.new", {"ref": ref, "kind": "appeal"}),
                        secondary=(Action("Log the agency's answer", "communications.new", {"ref": ref}),),
                        tone="warning")

    response = _row(rows, "response")
    if response is not None and response["clock"].due is not None:
        due, left = response["clock"].due, response["left"]
        if left is not None and left < 0:
            return NextStep("overdue", f"Overdue by {_days(-left, response['left_unit'])}",
                            f"{agency}'s response was due {long_date(due)}. Ask where it stands, in writing: the "
                            "follow-up letter cites the deadline.",
                            Action("Draft a follow-up", "letters.new", {"ref": ref, "kind": "follow-up"}),
                            secondary=(comm_new,), tone="error")
        left_text = ("due today" if left == 0 else f"{_days(left, response['left_unit'])} left") if left is not None \
            else ""
        return NextStep("log_answer", "Waiting for the agency's answer",
                        f"Response due {long_date(due)}" + (f" ({left_text})." if left_text else "."),
                        comm_new)
    paused = _row(rows, "response", "paused")
    if paused is not None:
        return NextStep("log_answer", "The agency asked a question",
                        "The response clock is paused until you answer the agency's clarification request.",
                        Action("Log your reply", "communications.new", {"ref": ref, "kind": "clarification_reply"}),
                        tone="warning")
    return NextStep("log_answer", "Waiting for the agency's answer",
                    "No response date is running. Log what the agency sends you.", comm_new)


def clock_phrase(law: Any, kind: str = "response") -> str:
    """'the 20-working-day response clock under the Freedom of Information Act (5 U.S.C. § 552(a)(6)(A)(i))',
    from the law's data (`load_law(slug).for_agency(agency)`); '' when the law has no such clock."""
    rule = law.clocks.get(kind)
    if rule is None or rule.length is None:
        return ""
    unit = "working" if rule.unit == "business_days" else "calendar"
    what = {"response": "response", "appeal_decision": "appeal-decision", "appeal_filing": "appeal"}.get(kind, kind)
    return f"the {rule.length}-{unit}-day {what} clock under the {law.name} ({rule.citation})"


def send_consequence(law: Any, kind: str, *, email_to: str = "") -> str:
    """What recording (or emailing) a final letter of `kind` does, for its confirmation dialog."""
    if email_to:
        start = (f"This emails the letter to {email_to} with the PDF attached. When the mail server accepts it, the "
                 "letter is recorded as sent today")
    else:
        start = "Recording this as sent writes it to the request's ledger, dated the day you entered"
    if kind == "request":
        phrase = clock_phrase(law, "response")
        what = (f"; that starts {phrase}" if phrase else "; that starts the agency's response clock") + \
            " and the request's status becomes Submitted."
    elif kind == "appeal":
        phrase = clock_phrase(law, "appeal_decision")
        what = (f"; that starts {phrase}" if phrase else "") + " and the request's status becomes Under appeal."
    else:
        what = ". No deadline moves."
    tail = " A letter is emailed once: it cannot be sent again." if email_to else ""
    return start + what + tail
