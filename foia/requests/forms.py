"""The request form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from foia.models import FEE_CATEGORIES, VISIBILITIES


class RequestForm(FlaskForm):
    title = StringField("Short title", validators=[DataRequired("Give the request a short title."), Length(max=200)],
                        description="For your own lists, e.g. “ICE operations in Los Angeles since June 2025”.")
    agencies = SelectMultipleField(
        "Agencies", validators=[DataRequired("Choose at least one agency from the directory.")],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        description="Choose one, or several to send the same request to each: every agency gets its own "
                    "request, letter and deadlines. The law follows from each agency.")
    law = SelectField("Law", validators=[Optional()],
                      description="Leave this as the agency's law unless a lawyer has told you otherwise.")
    records_sought = TextAreaField(
        "Records you are asking for",
        validators=[DataRequired("Describe the records you are asking for."), Length(max=20000)],
        description="Describe the records as precisely as you can: subjects, people, places, kinds of document.")
    records_from = DateField("Records from (optional)", validators=[Optional()])
    records_to = DateField("Records to (optional)", validators=[Optional()])
    preferred_format = StringField("Preferred format", validators=[Optional(), Length(max=100)],
                                   description="E.g. searchable PDF, native spreadsheets, email in .eml.")
    fee_category = SelectField(
        "Fee category", choices=list(FEE_CATEGORIES.items()), default="other",
        description="Federal FOIA fees depend on who asks: news media and educational requesters pay only for "
                    "copies beyond 100 pages; commercial requesters pay for search, review and copies; everyone "
                    "else pays for search beyond two hours and copies beyond 100 pages (5 U.S.C. § 552(a)(4)(A)(ii)). "
                    "State laws mostly charge only copying costs.")
    fee_ceiling = StringField("Most you will pay without being asked first (US dollars, optional)",
                              validators=[Optional(), Length(max=20)])
    fee_waiver = BooleanField(
        "Ask for a fee waiver",
        description="When disclosure is in the public interest because it will contribute significantly to "
                    "public understanding of government operations, and not primarily in your commercial interest "
                    "(5 U.S.C. § 552(a)(4)(A)(iii)).")
    fee_waiver_justification = TextAreaField("Why disclosure is in the public interest",
                                             validators=[Optional(), Length(max=20000)])
    expedited = BooleanField(
        "Ask for expedited processing",
        description="Only for a compelling need: a threat to someone's life or safety, or, for a person primarily "
                    "engaged in disseminating information, urgency to inform the public about actual or alleged "
                    "government activity (5 U.S.C. § 552(a)(6)(E)(v)). You certify it is true and correct.")
    expedited_justification = TextAreaField("The compelling need for expedited processing",
                                            validators=[Optional(), Length(max=20000)])
    visibility = SelectField("Who can see this request", choices=list(VISIBILITIES.items()), default="private")


class EditRequestForm(FlaskForm):
    """Change a request's details (foia.requests.corrections.edit_request validates; once the request was
    sent only the title, who can see it and the agency's tracking number are fields here)."""

    title = StringField("Short title", validators=[Optional(), Length(max=200)],
                        description="Your own label for lists; the agency never sees it.")
    agency = SelectField("Agency", validators=[Optional()])
    law = SelectField("Law", validators=[Optional()],
                      description="Leave this as the agency's law unless a lawyer has told you otherwise.")
    records_sought = TextAreaField("Records you are asking for", validators=[Optional(), Length(max=20000)])
    records_from = DateField("Records from (optional)", validators=[Optional()])
    records_to = DateField("Records to (optional)", validators=[Optional()])
    preferred_format = StringField("Preferred format", validators=[Optional(), Length(max=100)])
    fee_category = SelectField("Fee category", choices=list(FEE_CATEGORIES.items()), validators=[Optional()])
    fee_ceiling = StringField("Most you will pay without being asked first (US dollars, optional)",
                              validators=[Optional(), Length(max=20)])
    fee_waiver = BooleanField("Ask for a fee waiver")
    fee_waiver_justification = TextAreaField("Why disclosure is in the public interest",
                                             validators=[Optional(), Length(max=20000)])
    expedited = BooleanField("Ask for expedited processing")
    expedited_justification = TextAreaField("The compelling need for expedited processing",
                                            validators=[Optional(), Length(max=20000)])
    visibility = SelectField("Who can see this request", choices=list(VISIBILITIES.items()), validators=[Optional()])
    tracking_number = StringField("Agency tracking number", validators=[Optional(), Length(max=100)],
                                  description="The number the agency gave this request, if any.")
