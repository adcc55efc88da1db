"""WTForms for the web pages. Validation messages are written for people, not programmers."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..models import FEE_CATEGORIES, VISIBILITIES


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=1024)])


class RequestForm(FlaskForm):
    title = StringField("Short title", validators=[DataRequired("Give the request a short title."), Length(max=200)],
                        description="For your own lists, e.g. “ICE operations in Los Angeles since June 2025”.")
    agency = SelectField("Agency", validators=[DataRequired("Choose an agency from the directory.")],
                         description="The law that applies follows from the agency.")
    law = SelectField("Law (leave as the agency's law unless you know otherwise)", validators=[Optional()])
    records_sought = TextAreaField(
        "Records you are asking for",
        validators=[DataRequired("Describe the records you are asking for."), Length(max=20000)],
        description="Describe the records as precisely as you can: subjects, people, places, kinds of document.")
    records_from = DateField("Records from (optional)", validators=[Optional()])
    records_to = DateField("Records to (optional)", validators=[Optional()])
    preferred_format = StringField("Preferred format", validators=[Optional(), Length(max=100)],
                                   description="E.g. searchable PDF, native spreadsheets, email in .eml.")
    fee_category = SelectField("Fee category", choices=list(FEE_CATEGORIES.items()), default="other")
    fee_ceiling = StringField("Most you will pay without being asked first (US dollars, optional)",
                              validators=[Optional(), Length(max=20)])
    fee_waiver = BooleanField("Ask for a fee waiver")
    fee_waiver_justification = TextAreaField("Why disclosure is in the public interest",
                                             validators=[Optional(), Length(max=20000)])
    expedited = BooleanField("Ask for expedited processing")
    expedited_justification = TextAreaField("The compelling need for expedited processing",
                                            validators=[Optional(), Length(max=20000)])
    visibility = SelectField("Who can see this request", choices=list(VISIBILITIES.items()), default="private")
