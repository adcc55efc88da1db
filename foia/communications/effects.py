"""What each kind of communication does: the ledger event it writes, the status it moves the request to,
and the tables the form and the validator share (see the table in `foia.communications.service`)."""

from __future__ import annotations

from dataclasses import dataclass

from foia.models import (
    COMMUNICATION_KINDS,
)

APPEAL_OUTCOMES = {"granted": "Granted", "partly_granted": "Partly granted", "denied": "Denied"}


FEE_WAIVER_DECISIONS = {"granted": "Granted", "partly_granted": "Partly granted", "denied": "Denied"}


@dataclass(frozen=True)
class Effect:
    event: str                 # ledger event kind written for this communication
    status: str | None         # status the request moves to (None: unchanged)
    help: str                  # what it does to the clock, for people


EFFECTS: dict[str, Effect] = {
    "acknowledgment": Effect("acknowledged", "acknowledged",
                             "Records that the agency confirmed receipt; no clock moves. Give the agency's estimated "
                             "completion date if it named one."),
    "extension_notice": Effect("extension", "processing",
                               "The agency invoked its statutory extension: the response deadline moves out by the "
                               "extension (the law's full length unless you give fewer days)."),
    "clarification_request": Effect("toll_start", "awaiting_requester",
                                    "The agency asked you a question: the response clock pauses (where the law "
                                    "allows tolling) until you answer."),
    "clarification_reply": Effect("toll_end", "processing",
                                  "Your answer to the agency's question: the response clock resumes the next day."),
    "fee_estimate": Effect("fee_estimate", None,
                           "A fee estimate: a fee step in the ledger and the running total. It moves no clock from "
                           "here; an estimate that asks you to answer first is recorded on the request's Fees page, "
                           "where the law's fee rules apply."),
    "fee_waiver_decision": Effect("fee_waiver_decided", None,
                                  "The agency's decision on a fee waiver: a fee step; a denial opens the law's window "
                                  "to appeal it where the law file has one."),
    "payment": Effect("fee_paid", None, "A payment you made: a fee step, added to the running total."),
    "interim_release": Effect("note", "partially_released",
                              "Some records released while the search continues: the response clock keeps running."),
    "final_release": Effect("closed", "released", "All records released: every clock stops and the request closes."),
    "partial_denial": Effect("determination", "partially_denied",
                             "Records released with some withheld: the response clock is met and the appeal window "
                             "opens."),
    "full_denial": Effect("determination", "denied",
                          "Everything withheld: the response clock is met and the appeal window opens."),
    "no_records": Effect("determination", "no_records",
                         "The agency says it found no records: an adverse determination, so the appeal window opens."),
    "appeal_filed": Effect("appeal_filed", "appealing", "You filed an appeal: the appeal-decision clock starts."),
    "appeal_decision": Effect("appeal_decided", None,
                              "The agency decided the appeal: the appeal clock stops; the status follows the outcome."),
    "withdrawal": Effect("closed", "withdrawn", "You withdrew the request: every clock stops."),
    "note": Effect("note", None, "Anything else: recorded in the ledger; no clock moves."),
}


assert set(EFFECTS) == set(COMMUNICATION_KINDS)


OUTCOME_STATUS = {"granted": "released", "partly_granted": "partially_released", "denied": "denied"}


# Kinds whose letters cite exemptions (redactions or withholding).
EXEMPTION_KINDS = frozenset({"interim_release", "final_release", "partial_denial", "full_denial", "appeal_decision"})


# Kinds after which an estimated or agreed completion date makes no sense.
CLOSING_KINDS = frozenset({"final_release", "partial_denial", "full_denial", "no_records", "appeal_decision",
                           "withdrawal"})


ACK_FROM = frozenset({"draft", "submitted"})


# Usual direction of each kind (the CLI's default; the web form preselects it).
DEFAULT_DIRECTION = dict.fromkeys(COMMUNICATION_KINDS, "incoming") | {
    "clarification_reply": "outgoing", "payment": "outgoing", "appeal_filed": "outgoing", "withdrawal": "outgoing",
}


def status_after(kind: str, current: str, data: dict | None = None) -> str:
    """The request's status after a communication of `kind` arrives while it is `current` (pure).

    The rules `service._apply_effect` applies, and that a correction replays: an acknowledgment only moves a
    request that is still a draft or submitted (never backwards); an appeal decision follows its outcome;
    kinds with no status (notes, fees, payments) leave it."""
    effect = EFFECTS.get(kind)
    if effect is None:
        return current
    if kind == "appeal_decision":
        outcome = (data or {}).get("outcome")
        return OUTCOME_STATUS.get(outcome, current) if isinstance(outcome, str) else current
    if kind == "acknowledgment" and current not in ACK_FROM:
        return current
    return effect.status or current


def replay_status(sent: bool, steps: list[tuple[str, dict | None]]) -> str:
    """The status a request's live record gives it: "draft", "submitted" once sent, then each live classified
    communication (kind, data) in the order it happened (see `status_after`)."""
    status = "submitted" if sent else "draft"
    for kind, data in steps:
        status = status_after(kind, status, data)
    return status
