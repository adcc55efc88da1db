"""`flask foia recompute` and `flask foia deadline`: deadlines from the command line.

`deadline` computes a request's statutory deadlines without saving anything (no app context needed)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click
from flask.cli import with_appcontext

from foia.core.cli import parse_now
from foia.extensions import db

if TYPE_CHECKING:
    from foia.deadlines.engine import Clock


@click.command("recompute")
@with_appcontext
def recompute_command() -> None:
    """Recompute every open request's deadlines from its ledger (after a law-file or calendar update)."""
    from foia.clocks.service import recompute_open
    from foia.reminders.planner import replan_moved

    now = parse_now(None)
    moved = recompute_open(db.session(), now=now, actor=None, reason="flask foia recompute")
    replan_moved(db.session(), moved, now=now)
    db.session.commit()
    click.echo(f"Recomputed. {len(moved)} clock date(s) moved on {len({m.ref for m in moved})} request(s).")
    for m in moved:
        click.echo(f"  {m.ref} {m.kind}: {m.before or '-'} -> {m.after or '-'}")


def _parse_day_or_stamp(value: str) -> date | datetime:
    value = value.strip()
    if len(value) == 10:
        return date.fromisoformat(value)
    stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        raise ValueError("a timestamp needs a UTC offset, e.g. 2026-01-05T16:30:00-05:00")
    return stamp


def _parse_date(value: str) -> date:
    return date.fromisoformat(value.strip())


def deadline_report(
    law_slug: str,
    received: date | datetime,
    *,
    agency: str | None = None,
    expedited: bool = False,
    extension: bool = False,
    tolls: tuple[tuple[date, date], ...] = (),
    restart: date | None = None,
    determination: date | None = None,
    options: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The CLI's JSON object, as a dict (also handy for tests and the web UI)."""
    # The engine and its calendars (the `holidays` package) are imported when a deadline is computed, not for --help.
    from foia.deadlines.engine import compute_clocks
    from foia.deadlines.laws import load_law
    from foia.deadlines.ledger import AgencyRules, LedgerEvent

    law = load_law(law_slug)
    received_day = received.date() if isinstance(received, datetime) else received
    events = [LedgerEvent("received", received)]
    if extension:
        events.append(LedgerEvent("extension", received_day))
    for start, end in tolls:
        events += [LedgerEvent("toll_start", start), LedgerEvent("toll_end", end)]
    if restart is not None:
        events.append(LedgerEvent("restart", restart))
    if determination is not None:
        events.append(LedgerEvent("determination", determination))
    rules = AgencyRules(slug=agency, timezone=law.timezone) if agency else None
    clocks = {c.kind: c for c in compute_clocks(law, events, agency=rules, expedited=expedited, options=options)}

    def due(kind: str) -> str | None:
        c: Clock | None = clocks.get(kind)
        return c.due.isoformat() if c is not None and c.due is not None else None

    lines: list[str] = []
    for c in clocks.values():
        lines.append(f"[{c.kind}] {c.label}")
        lines.extend(f"  {line}" for line in c.explanation)
    return {
        "law": law.slug,
        "received": received.isoformat(),
        "response_due": due("response"),
        "expedited_decision_due": due("expedited_decision") if expedited else None,
        "appeal_due": due("appeal_filing") if determination is not None else None,
        "explanation": lines,
        "clocks": [c.to_dict() for c in clocks.values()],
    }


class _LawOption(click.Option):
    """``--law``, whose help lists the law files found when the help is shown (not at import)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from foia.deadlines.laws import law_slugs

        self.help = f"Law slug: {', '.join(law_slugs())}."
        return super().get_help_record(ctx)


@click.command("deadline")
@click.option("--law", "law_slug", cls=_LawOption, required=True, metavar="SLUG", help="Law slug.")
@click.option("--received", required=True, help="YYYY-MM-DD, or an ISO timestamp with UTC offset.")
@click.option("--agency", default=None, help="Agency slug (selects agency overrides, e.g. dhs-ice).")
@click.option("--expedited", is_flag=True, help="Also compute the expedited-processing decision date.")
@click.option("--extension", is_flag=True, help="Apply the law's extension.")
@click.option("--toll", "tolls", multiple=True, metavar="START:END", help="A toll from START to END (dates); repeatable.")
@click.option("--restart", default=None, metavar="DATE", help="Clock restart date (restart-model laws, e.g. tx-pia).")
@click.option("--determination", default=None, metavar="DATE", help="Adverse determination date (opens the appeal window).")
@click.option("--option", "options", multiple=True, metavar="NAME",
              help="A law option that applies to the request (e.g. commercial for nj-opra); repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def deadline_command(
    law_slug: str,
    received: str,
    agency: str | None,
    expedited: bool,
    extension: bool,
    tolls: tuple[str, ...],
    restart: str | None,
    determination: str | None,
    options: tuple[str, ...],
    as_json: bool,
) -> None:
    """Compute statutory deadlines for a request."""
    from foia.deadlines.laws import law_slugs, load_law

    if law_slug not in law_slugs():
        raise click.BadParameter(f"unknown law {law_slug!r}; known: {', '.join(law_slugs())}", param_hint="--law")
    known = load_law(law_slug).options
    for name in options:
        if name not in known:
            raise click.BadParameter(f"{law_slug} has no option {name!r}; known: {', '.join(known) or 'none'}",
                                     param_hint="--option")
    try:
        received_on = _parse_day_or_stamp(received)
        toll_pairs = []
        for t in tolls:
            start, sep, end = t.partition(":")
            if not sep:
                raise ValueError(f"--toll {t!r}: expected START:END")
            toll_pairs.append((_parse_date(start), _parse_date(end)))
        report = deadline_report(
            law_slug,
            received_on,
            agency=agency,
            expedited=expedited,
            extension=extension,
            tolls=tuple(toll_pairs),
            restart=_parse_date(restart) if restart else None,
            determination=_parse_date(determination) if determination else None,
            options=options,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if as_json:
        report.pop("clocks")
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(f"Law:       {report['law']}")
    click.echo(f"Received:  {report['received']}")
    rows = [(c["kind"], c["due"] or "—", c["status"], c["label"]) for c in report["clocks"]]
    widths = [max(len(r[i]) for r in rows + [("Clock", "Due", "Status", "")]) for i in range(3)]
    click.echo(f"{'Clock':<{widths[0]}}  {'Due':<{widths[1]}}  {'Status':<{widths[2]}}  What")
    for r in rows:
        click.echo(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}")
    click.echo("")
    for line in report["explanation"]:
        click.echo(line)


@click.command("laws")
@click.option("--json", "as_json", is_flag=True, help="Print every law's clocks, citations and sources as JSON.")
@click.option("--unverified", is_flag=True, help="Only the clocks whose number was not verified against the law.")
def laws_command(as_json: bool, unverified: bool) -> None:
    """Every law FOIA Tracker knows, with its clocks, citations and whether each was verified."""
    from foia.clocks.coverage import coverage

    rows = coverage()
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False))
        return
    for r in rows:
        clocks = [c for c in r.clocks if not (unverified and c.verified)]
        if unverified and not clocks:
            continue
        click.echo(f"{r.slug:14} {r.jurisdiction}: {r.name} ({r.citation}) — {r.verified_count}/{r.numbered_count} verified")
        for c in clocks:
            mark = {True: "verified", False: "NOT verified", None: "not recorded"}[c.verified]
            click.echo(f"    {c.kind:20} {c.period:22} {c.citation}  [{mark}]")
