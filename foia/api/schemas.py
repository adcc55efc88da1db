"""The API's request and response bodies (marshmallow; flask-smorest turns them into the OpenAPI document).

Input schemas check types and shapes; the services then check meaning (an agency that exists, a date range in
order) with the same messages the web forms show. Both kinds of problem come back as 422 with `errors` by field."""

from __future__ import annotations

from flask_smorest.fields import Upload  # type: ignore[import-untyped]
from marshmallow import Schema, fields, validate

from foia.communications.effects import APPEAL_OUTCOMES, FEE_WAIVER_DECISIONS
from foia.models import COMMUNICATION_KINDS, DIRECTIONS, FEE_CATEGORIES, STATUSES, VISIBILITIES

MAX_LIMIT = 100


def _d(description: str, example=None) -> dict:
    return {"description": description} if example is None else {"description": description, "example": example}


# ---------------------------------------------------------------------------------------------- errors

class ErrorSchema(Schema):
    code = fields.Integer(required=True, metadata=_d("The HTTP status code.", 422))
    status = fields.String(required=True, metadata=_d("The HTTP status name.", "Unprocessable Entity"))
    message = fields.String(required=True, metadata=_d("What went wrong, in a sentence."))
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True,
                         metadata=_d("Messages by field name (empty when the error is not about fields).",
                                     {"title": ["Give the request a short title."]}))


# ---------------------------------------------------------------------------------------------- agencies

class AgencyRefSchema(Schema):
    slug = fields.String(required=True, metadata=_d("The agency's identifier in the directory.", "dhs-ice"))
    name = fields.String(required=True, metadata=_d("The agency's name.",
                                                    "U.S. Immigration and Customs Enforcement"))


class AgencySchema(AgencyRefSchema):
    abbreviation = fields.String(metadata=_d("Its own abbreviation.", "ICE"))
    parent = fields.String(allow_none=True, metadata=_d("The parent department's slug, if any.", "dhs"))
    department = fields.String(metadata=_d("The department, as the directory names it."))
    jurisdiction = fields.String(metadata=_d("Federal, a state or a city.", "Federal"))
    law = fields.String(metadata=_d("The slug of the law requests to it follow.", "us-foia"))
    foia_email = fields.String(metadata=_d("Where requests go by email (may be empty)."))
    portal_url = fields.String(metadata=_d("Its request portal (may be empty)."))
    website = fields.String(metadata=_d("Its website (may be empty)."))
    filing_methods = fields.List(fields.String(), metadata=_d("How it takes requests, best first.", ["email", "mail"]))
    timezone = fields.String(metadata=_d("Its time zone (decides the day a request is received).",
                                         "America/New_York"))


class AgencyListArgsSchema(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=100),
                      metadata=_d("Words in the name, abbreviation or department.", "customs"))
    parent = fields.String(load_default=None, validate=validate.Length(max=64),
                           metadata=_d("A department's slug: it and its components.", "dhs"))
    law = fields.String(load_default=None, validate=validate.Length(max=20),
                        metadata=_d("A law's slug.", "us-foia"))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT),
                           metadata=_d(f"How many (1 to {MAX_LIMIT}).", 50))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 1_000_000),
                            metadata=_d("How many to skip.", 0))


class AgencyListSchema(Schema):
    items = fields.List(fields.Nested(AgencySchema), required=True)
    total = fields.Integer(required=True, metadata=_d("How many agencies match in all."))
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


# ---------------------------------------------------------------------------------------------- requests

class RequestSummarySchema(Schema):
    ref = fields.String(required=True, metadata=_d("The request's reference.", "FT-2026-0001"))
    title = fields.String(required=True, metadata=_d("Its short title (for lists; the agency never sees it)."))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES),
                           metadata=_d("Where it stands.", "submitted"))
    status_label = fields.String(required=True, metadata=_d("The status in words.", "Submitted"))
    agency = fields.Nested(AgencyRefSchema, required=True)
    law = fields.String(required=True, metadata=_d("The law's slug.", "us-foia"))
    visibility = fields.String(required=True, validate=validate.OneOf(VISIBILITIES),
                               metadata=_d("Who can see it.", "private"))
    tracking_number = fields.String(required=True, metadata=_d("The agency's own number ('' until it gives one)."))
    next_due = fields.Date(allow_none=True, metadata=_d("The soonest open deadline.", "2026-02-13"))
    response_due = fields.Date(allow_none=True, metadata=_d("When the agency's response is due.", "2026-02-13"))
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    url = fields.String(required=True, metadata=_d("Its page in the web app."))
    api_url = fields.String(required=True, metadata=_d("This request in the API."))


class DeadlineSchema(Schema):
    kind = fields.String(required=True, metadata=_d("Which clock.", "response"))
    label = fields.String(required=True, metadata=_d("The clock in words.", "Agency response due"))
    due = fields.Date(allow_none=True, metadata=_d("The day it falls due (none while paused or not started)."))
    unit = fields.String(required=True, metadata=_d("How its days count.", "business_days"))
    length = fields.Integer(allow_none=True, metadata=_d("How many days the law gives.", 20))
    citation = fields.String(required=True, metadata=_d("Where the law says so.", "5 U.S.C. § 552(a)(6)(A)(i)"))
    status = fields.String(required=True, metadata=_d("open, met, missed, paused or closed.", "open"))
    explanation = fields.List(fields.String(), required=True,
                              metadata=_d("How the date was computed, step by step, in plain language."))
    days_left = fields.Integer(allow_none=True, metadata=_d("Days until it falls due (negative when overdue).", 12))
    days_left_unit = fields.String(required=True, metadata=_d("Working or calendar days.", "working days"))


class CommunicationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(COMMUNICATION_KINDS),
                         metadata=_d("What it is.", "acknowledgment"))
    kind_label = fields.String(required=True, metadata=_d("The kind in words.", "Acknowledgment"))
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS),
                              metadata=_d("From the agency (incoming) or to it (outgoing).", "incoming"))
    occurred_on = fields.Date(required=True)
    subject = fields.String(required=True)
    body = fields.String(required=True)
    tracking_number = fields.String(required=True)
    exemptions = fields.List(fields.String(), required=True)
    data = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True,
                       metadata=_d("The kind's details: days, estimated_completion, agreed_date, outcome, amount, "
                                   "decision."))
    voided = fields.Boolean(required=True, metadata=_d("Voided as a mistake (kept, no longer counts)."))
    created_at = fields.DateTime(required=True)


class DocumentSchema(Schema):
    id = fields.Integer(required=True)
    filename = fields.String(required=True, metadata=_d("Its (cleaned) file name.", "release-1.pdf"))
    size = fields.Integer(required=True, metadata=_d("Bytes.", 52311))
    mime = fields.String(required=True, metadata=_d("Its type, from its content.", "application/pdf"))
    pages = fields.Integer(allow_none=True)
    sha256 = fields.String(required=True)
    communication_id = fields.Integer(allow_none=True, metadata=_d("The communication it came with, if any."))
    created_at = fields.DateTime(required=True)
    download_url = fields.String(required=True, metadata=_d("Download it (with your token; always an attachment)."))


class RequestDetailSchema(RequestSummarySchema):
    records_sought = fields.String(required=True)
    records_from = fields.Date(allow_none=True)
    records_to = fields.Date(allow_none=True)
    fee_category = fields.String(required=True, validate=validate.OneOf(FEE_CATEGORIES))
    fee_ceiling = fields.String(allow_none=True, metadata=_d("The most the requester will pay unasked (US dollars).",
                                                             "250.00"))
    fee_waiver = fields.Boolean(required=True)
    expedited = fields.Boolean(required=True)
    preferred_format = fields.String(required=True)
    requester = fields.String(required=True, metadata=_d("The requester's name."))
    sent_at = fields.DateTime(allow_none=True)
    deadlines = fields.List(fields.Nested(DeadlineSchema), required=True)
    communications = fields.List(fields.Nested(CommunicationSchema), required=True,
                                 metadata=_d("Newest first."))
    documents = fields.List(fields.Nested(DocumentSchema), required=True, metadata=_d("Oldest first."))


class RequestListArgsSchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES),
                           metadata=_d("Only requests with this status.", "submitted"))
    agency = fields.String(load_default=None, validate=validate.Length(max=64),
                           metadata=_d("Only requests to this agency (its slug).", "dhs-ice"))
    q = fields.String(load_default="", validate=validate.Length(max=100),
                      metadata=_d("Words in the title, reference or tracking number.", "body cameras"))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200),
                           metadata=_d("`next_cursor` from the previous page."))
    limit = fields.Integer(load_default=25, validate=validate.Range(1, MAX_LIMIT),
                           metadata=_d(f"How many per page (1 to {MAX_LIMIT}).", 25))


class RequestListSchema(Schema):
    items = fields.List(fields.Nested(RequestSummarySchema), required=True,
                        metadata=_d("Soonest next deadline first (undated last), then oldest first."))
    next_cursor = fields.String(allow_none=True, required=True,
                                metadata=_d("Pass as `cursor` for the next page; null on the last page."))


class RequestCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(max=1000),
                          error_messages={"required": "Give the request a short title."},
                          metadata=_d("A short title for your lists.", "ICE detention contracts, 2025"))
    agency = fields.String(required=True, validate=validate.Length(max=64),
                           error_messages={"required": "Choose an agency from the directory."},
                           metadata=_d("The agency's slug (see GET /api/v1/agencies).", "dhs-ice"))
    records_sought = fields.String(required=True, validate=validate.Length(max=20000),
                                   error_messages={"required": "Describe the records you are asking for."},
                                   metadata=_d("The records, as precisely as you can.",
                                               "All contracts for detention services signed in 2025."))
    law = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20),
                        metadata=_d("A law's slug, only to override the agency's own law.", None))
    records_from = fields.Date(load_default=None, allow_none=True, metadata=_d("Records from this day.", "2025-01-01"))
    records_to = fields.Date(load_default=None, allow_none=True, metadata=_d("Records up to this day.", "2025-12-31"))
    preferred_format = fields.String(load_default="", validate=validate.Length(max=1000),
                                     metadata=_d("E.g. searchable PDF.", "searchable PDF"))
    fee_category = fields.String(load_default="other", validate=validate.OneOf(FEE_CATEGORIES),
                                 metadata=_d("Who is asking, for fees.", "news_media"))
    fee_ceiling = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20),
                                metadata=_d("The most you will pay without being asked first (US dollars).", "250"))
    fee_waiver = fields.Boolean(load_default=False)
    fee_waiver_justification = fields.String(load_default="", validate=validate.Length(max=20000))
    expedited = fields.Boolean(load_default=False)
    expedited_justification = fields.String(load_default="", validate=validate.Length(max=20000))
    visibility = fields.String(load_default="private", validate=validate.OneOf(VISIBILITIES),
                               metadata=_d("Who can see it.", "organization"))


class CommunicationCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(COMMUNICATION_KINDS),
                         error_messages={"required": "Choose what kind of communication this is."},
                         metadata=_d("What it is; each kind moves the ledger, status and deadlines its own way.",
                                     "acknowledgment"))
    direction = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(DIRECTIONS),
                              metadata=_d("incoming or outgoing (default: the kind's usual side).", "incoming"))
    occurred_on = fields.Date(load_default=None, allow_none=True,
                              metadata=_d("The day it happened (default: today).", "2026-01-20"))
    subject = fields.String(load_default="", validate=validate.Length(max=1000))
    body = fields.String(load_default="", validate=validate.Length(max=200_000))
    tracking_number = fields.String(load_default="", validate=validate.Length(max=200),
                                    metadata=_d("The agency's tracking number (kept on the request).", "2026-ICFO-0042"))
    exemptions = fields.List(fields.String(validate=validate.Length(max=50)), load_default=list,
                             validate=validate.Length(max=50),
                             metadata=_d("Exemptions the agency cites (denials).", ["(b)(6)"]))
    days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 3650),
                          metadata=_d("Extension days (extension_notice; default: the law's full extension)."))
    estimated_completion = fields.Date(load_default=None, allow_none=True,
                                       metadata=_d("The agency's estimated completion date."))
    agreed_date = fields.Date(load_default=None, allow_none=True,
                              metadata=_d("A date agreed with the agency (replaces the response deadline)."))
    outcome = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(APPEAL_OUTCOMES),
                            metadata=_d("Outcome of an appeal_decision."))
    amount = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20),
                           metadata=_d("Dollar amount of a fee_estimate or payment.", "25.00"))
    decision = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(FEE_WAIVER_DECISIONS),
                             metadata=_d("Decision of a fee_waiver_decision."))


class CommunicationCreatedSchema(Schema):
    communication = fields.Nested(CommunicationSchema, required=True)
    request = fields.Nested(RequestSummarySchema, required=True, metadata=_d("The request after it: status, dates."))


class DocumentUploadSchema(Schema):
    file = Upload(required=True, error_messages={"required": "Choose a file to upload."},
                  metadata=_d("The file (sent as multipart/form-data)."))
    communication_id = fields.Integer(load_default=None, allow_none=True,
                                      metadata=_d("Attach it to one of this request's communications."))
