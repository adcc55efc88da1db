"""The fee-step and litigation forms (validation messages come from the services)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from foia.fees.litigation import LITIGATION_STEPS
from foia.fees.service import FEE_STEPS, PAYMENT_METHODS, WAIVER_DECISIONS


class FeeStepForm(FlaskForm):
    step = RadioField("What happened", choices=list(FEE_STEPS.items()), validators=[Optional()])
    on = DateField("Date", validators=[Optional()])
    amount = StringField("Amount (US dollars)", validators=[Optional()])
    asks_requester = BooleanField("The agency asks me to accept, narrow or pay before it goes on")
    respond_by = DateField("Answer by (if the letter or the regulation gives a date)", validators=[Optional()])
    method = SelectField("How it was paid", choices=[("", "—")] + list(PAYMENT_METHODS.items()),
                         validators=[Optional()])
    decision = SelectField("Fee-waiver decision", choices=[("", "—")] + list(WAIVER_DECISIONS.items()),
                           validators=[Optional()])
    notes = TextAreaField("Note (optional)", validators=[Optional()])


class LitigationForm(FlaskForm):
    step = RadioField("What happened", choices=list(LITIGATION_STEPS.items()), validators=[Optional()])
    on = DateField("Date", validators=[Optional()])
    court = StringField("Court", validators=[Optional()])
    case_number = StringField("Case number", validators=[Optional()])
    what = StringField("What the court date is for", validators=[Optional()])
    outcome = StringField("Outcome", validators=[Optional()])
    notes = TextAreaField("Note (optional)", validators=[Optional()])
