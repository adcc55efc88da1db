"""counts maintained as requests change (dashboard status counts, month grid, agency statistics), shared by every worker (issue 18)

Revision ID: 0022_maintained_counts
Revises: 0021_search_visibility
Create Date: 2026-11-30 20:20:00.000000

- request_counts: live requests by (organization, requester, visibility, status), kept in step by
  triggers on requests (PostgreSQL: one PL/pgSQL function doing INSERT ... ON CONFLICT DO UPDATE
  SET n = n + 1, the old key and the new key taken in a fixed order so two transactions moving
  requests in opposite directions cannot deadlock; SQLite: three triggers). Backfilled here.
- deadline_counts: open deadlines (open clocks of live, not closed requests) by (due date, organization,
  requester, visibility), for the month grid's daily totals; triggers on request_clocks and requests.
- agency_stats_changes: insert-only change rows (events, requests, deliveries, closures, agencies)
  that tell the statistics refresh which agencies to recompute.
- stats_snapshots.computed_on: the day the figures were computed for (a request whose deadline passed
  since counts as late, so a new day recomputes every agency).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022_maintained_counts'
down_revision = '0021_search_visibility'
branch_labels = None
depends_on = None

KEY = "organization_id, requester_id, visibility, status"

PG_FUNCTIONS = [
    """
CREATE OR REPLACE FUNCTION foia_request_count_add(o integer, r integer, v varchar, s varchar, d integer)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO request_counts (organization_id, requester_id, visibility, status, n) VALUES (o, r, v, s, d)
  ON CONFLICT (organization_id, requester_id, visibility, status) DO UPDATE SET n = request_counts.n + EXCLUDED.n
$$""",
    """
CREATE OR REPLACE FUNCTION foia_request_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_live boolean := TG_OP <> 'INSERT' AND OLD.deleted_at IS NULL;
  new_live boolean := TG_OP <> 'DELETE' AND NEW.deleted_at IS NULL;
BEGIN
  IF old_live AND new_live AND (OLD.organization_id, OLD.requester_id, OLD.visibility, OLD.status)
       = (NEW.organization_id, NEW.requester_id, NEW.visibility, NEW.status) THEN
    RETURN NULL;
  END IF;
  -- Lock the two counter rows in key order (no deadlock between opposite moves).
  IF old_live AND (NOT new_live OR (OLD.organization_id, OLD.requester_id, OLD.visibility, OLD.status)
       < (NEW.organization_id, NEW.requester_id, NEW.visibility, NEW.status)) THEN
    PERFORM foia_request_count_add(OLD.organization_id, OLD.requester_id, OLD.visibility, OLD.status, -1);
    old_live := false;
  END IF;
  IF new_live THEN
    PERFORM foia_request_count_add(NEW.organization_id, NEW.requester_id, NEW.visibility, NEW.status, 1);
  END IF;
  IF old_live THEN
    PERFORM foia_request_count_add(OLD.organization_id, OLD.requester_id, OLD.visibility, OLD.status, -1);
  END IF;
  RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION foia_stats_change_request() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO agency_stats_changes (agency_id) VALUES (OLD.agency_id);
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.agency_id IS DISTINCT FROM OLD.agency_id) THEN
    INSERT INTO agency_stats_changes (agency_id) VALUES (NEW.agency_id);
  END IF;
  RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION foia_stats_change_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO agency_stats_changes (agency_id)
    SELECT agency_id FROM requests WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.request_id ELSE NEW.request_id END);
  RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION foia_stats_change_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO agency_stats_changes (agency_id)
    SELECT r.agency_id FROM events e JOIN requests r ON r.id = e.request_id WHERE e.id = NEW.event_id;
  RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION foia_stats_change_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO agency_stats_changes (agency_id) VALUES (NULL);
  RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION foia_stats_change_agency() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO agency_stats_changes (agency_id) VALUES (NEW.id);
  RETURN NULL;
END $$""",
]

CLOSED = "('released', 'withdrawn', 'closed')"  # foia.models.request.CLOSED_STATUSES
DKEY = "due, organization_id, requester_id, visibility"

PG_FUNCTIONS += [
    """
CREATE OR REPLACE FUNCTION foia_deadline_counts_clock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.status = 'open' AND OLD.due IS NOT NULL THEN
    INSERT INTO deadline_counts (due, organization_id, requester_id, visibility, n)
      SELECT OLD.due, organization_id, requester_id, visibility, -1 FROM requests
      WHERE id = OLD.request_id AND deleted_at IS NULL AND status NOT IN """ + CLOSED + """
    ON CONFLICT (due, organization_id, requester_id, visibility) DO UPDATE SET n = deadline_counts.n + EXCLUDED.n;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.status = 'open' AND NEW.due IS NOT NULL THEN
    INSERT INTO deadline_counts (due, organization_id, requester_id, visibility, n)
      SELECT NEW.due, organization_id, requester_id, visibility, 1 FROM requests
      WHERE id = NEW.request_id AND deleted_at IS NULL AND status NOT IN """ + CLOSED + """
    ON CONFLICT (due, organization_id, requester_id, visibility) DO UPDATE SET n = deadline_counts.n + EXCLUDED.n;
  END IF;
  RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION foia_deadline_counts_request() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_in boolean := OLD.deleted_at IS NULL AND OLD.status NOT IN """ + CLOSED + """;
  new_in boolean := TG_OP = 'UPDATE' AND NEW.deleted_at IS NULL AND NEW.status NOT IN """ + CLOSED + """;
BEGIN
  IF NOT (old_in AND new_in AND (OLD.organization_id, OLD.requester_id, OLD.visibility)
          = (NEW.organization_id, NEW.requester_id, NEW.visibility)) THEN
    IF old_in THEN
      INSERT INTO deadline_counts (due, organization_id, requester_id, visibility, n)
        SELECT due, OLD.organization_id, OLD.requester_id, OLD.visibility, -count(*) FROM request_clocks
        WHERE request_id = OLD.id AND status = 'open' AND due IS NOT NULL GROUP BY due ORDER BY due
      ON CONFLICT (due, organization_id, requester_id, visibility) DO UPDATE SET n = deadline_counts.n + EXCLUDED.n;
    END IF;
    IF new_in THEN
      INSERT INTO deadline_counts (due, organization_id, requester_id, visibility, n)
        SELECT due, NEW.organization_id, NEW.requester_id, NEW.visibility, count(*) FROM request_clocks
        WHERE request_id = NEW.id AND status = 'open' AND due IS NOT NULL GROUP BY due ORDER BY due
      ON CONFLICT (due, organization_id, requester_id, visibility) DO UPDATE SET n = deadline_counts.n + EXCLUDED.n;
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NULL;
END $$""",
]

REQUEST_COLUMNS = "organization_id, requester_id, visibility, status, deleted_at"
STATS_REQUEST_COLUMNS = "agency_id, organization_id, visibility, law, response_due, deleted_at"

PG_TRIGGERS = [
    "CREATE TRIGGER deadline_counts_clock AFTER INSERT OR DELETE OR UPDATE OF status, due, request_id "
    "ON request_clocks FOR EACH ROW EXECUTE FUNCTION foia_deadline_counts_clock()",
    # Before the delete: the clocks go by cascade afterwards, when their request can no longer be read.
    "CREATE TRIGGER deadline_counts_request_delete BEFORE DELETE ON requests "
    "FOR EACH ROW EXECUTE FUNCTION foia_deadline_counts_request()",
    f"CREATE TRIGGER deadline_counts_request AFTER UPDATE OF {REQUEST_COLUMNS} ON requests "
    "FOR EACH ROW EXECUTE FUNCTION foia_deadline_counts_request()",
    f"CREATE TRIGGER request_counts AFTER INSERT OR DELETE OR UPDATE OF {REQUEST_COLUMNS} ON requests "
    "FOR EACH ROW EXECUTE FUNCTION foia_request_counts()",
    f"CREATE TRIGGER stats_change_request AFTER INSERT OR DELETE OR UPDATE OF {STATS_REQUEST_COLUMNS} ON requests "
    "FOR EACH ROW EXECUTE FUNCTION foia_stats_change_request()",
    "CREATE TRIGGER stats_change_event AFTER INSERT OR DELETE OR UPDATE OF kind, occurred_on, voided_at, request_id "
    "ON events FOR EACH ROW EXECUTE FUNCTION foia_stats_change_event()",
    "CREATE TRIGGER stats_change_delivery AFTER INSERT OR UPDATE OF status, event_id ON deliveries "
    "FOR EACH ROW EXECUTE FUNCTION foia_stats_change_delivery()",
    "CREATE TRIGGER stats_change_closure AFTER INSERT OR DELETE OR UPDATE ON calendar_closures "
    "FOR EACH STATEMENT EXECUTE FUNCTION foia_stats_change_all()",
    "CREATE TRIGGER stats_change_agency AFTER UPDATE OF name, slug ON agencies "
    "FOR EACH ROW EXECUTE FUNCTION foia_stats_change_agency()",
]

_ADD = (f"INSERT INTO request_counts ({KEY}, n) SELECT {{p}}.organization_id, {{p}}.requester_id, {{p}}.visibility, "
        f"{{p}}.status, 1 WHERE {{p}}.deleted_at IS NULL ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1;")
_SUB = ("UPDATE request_counts SET n = n - 1 WHERE {p}.deleted_at IS NULL AND organization_id = {p}.organization_id "
        "AND requester_id = {p}.requester_id AND visibility = {p}.visibility AND status = {p}.status;")

_DUP = (f"ON CONFLICT ({DKEY}) DO UPDATE SET n = n + excluded.n;")
_CLOCK = (f"INSERT INTO deadline_counts ({DKEY}, n) SELECT {{p}}.due, organization_id, requester_id, visibility, {{d}} "
          f"FROM requests WHERE id = {{p}}.request_id AND {{p}}.status = 'open' AND {{p}}.due IS NOT NULL "
          f"AND deleted_at IS NULL AND status NOT IN {CLOSED} {_DUP}")
_MOVE = (f"INSERT INTO deadline_counts ({DKEY}, n) SELECT due, {{p}}.organization_id, {{p}}.requester_id, "
         f"{{p}}.visibility, {{sign}}count(*) FROM request_clocks WHERE request_id = {{p}}.id AND status = 'open' "
         f"AND due IS NOT NULL AND {{p}}.deleted_at IS NULL AND {{p}}.status NOT IN {CLOSED} GROUP BY due {_DUP}")

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER deadline_counts_clock_ai AFTER INSERT ON request_clocks BEGIN {_CLOCK.format(p='NEW', d=1)} END",
    f"CREATE TRIGGER deadline_counts_clock_ad AFTER DELETE ON request_clocks BEGIN {_CLOCK.format(p='OLD', d=-1)} END",
    "CREATE TRIGGER deadline_counts_clock_au AFTER UPDATE OF status, due, request_id ON request_clocks "
    f"BEGIN {_CLOCK.format(p='OLD', d=-1)} {_CLOCK.format(p='NEW', d=1)} END",
    f"CREATE TRIGGER deadline_counts_request_bd BEFORE DELETE ON requests BEGIN {_MOVE.format(p='OLD', sign='-')} END",
    f"CREATE TRIGGER deadline_counts_request_au AFTER UPDATE OF {REQUEST_COLUMNS} ON requests "
    f"BEGIN {_MOVE.format(p='OLD', sign='-')} {_MOVE.format(p='NEW', sign='')} END",
    f"CREATE TRIGGER request_counts_ai AFTER INSERT ON requests BEGIN {_ADD.format(p='NEW')} END",
    f"CREATE TRIGGER request_counts_ad AFTER DELETE ON requests BEGIN {_SUB.format(p='OLD')} END",
    f"CREATE TRIGGER request_counts_au AFTER UPDATE OF {REQUEST_COLUMNS} ON requests "
    f"BEGIN {_SUB.format(p='OLD')} {_ADD.format(p='NEW')} END",
    "CREATE TRIGGER stats_change_request_ai AFTER INSERT ON requests "
    "BEGIN INSERT INTO agency_stats_changes (agency_id) VALUES (NEW.agency_id); END",
    "CREATE TRIGGER stats_change_request_ad AFTER DELETE ON requests "
    "BEGIN INSERT INTO agency_stats_changes (agency_id) VALUES (OLD.agency_id); END",
    f"CREATE TRIGGER stats_change_request_au AFTER UPDATE OF {STATS_REQUEST_COLUMNS} ON requests "
    "BEGIN INSERT INTO agency_stats_changes (agency_id) VALUES (OLD.agency_id); "
    "INSERT INTO agency_stats_changes (agency_id) SELECT NEW.agency_id WHERE NEW.agency_id IS NOT OLD.agency_id; END",
    "CREATE TRIGGER stats_change_event_ai AFTER INSERT ON events BEGIN INSERT INTO agency_stats_changes (agency_id) "
    "SELECT agency_id FROM requests WHERE id = NEW.request_id; END",
    "CREATE TRIGGER stats_change_event_ad AFTER DELETE ON events BEGIN INSERT INTO agency_stats_changes (agency_id) "
    "SELECT agency_id FROM requests WHERE id = OLD.request_id; END",
    "CREATE TRIGGER stats_change_event_au AFTER UPDATE OF kind, occurred_on, voided_at, request_id ON events "
    "BEGIN INSERT INTO agency_stats_changes (agency_id) SELECT agency_id FROM requests WHERE id = NEW.request_id; END",
    "CREATE TRIGGER stats_change_delivery_ai AFTER INSERT ON deliveries BEGIN INSERT INTO agency_stats_changes (agency_id) "
    "SELECT r.agency_id FROM events e JOIN requests r ON r.id = e.request_id WHERE e.id = NEW.event_id; END",
    "CREATE TRIGGER stats_change_delivery_au AFTER UPDATE OF status, event_id ON deliveries "
    "BEGIN INSERT INTO agency_stats_changes (agency_id) "
    "SELECT r.agency_id FROM events e JOIN requests r ON r.id = e.request_id WHERE e.id = NEW.event_id; END",
    "CREATE TRIGGER stats_change_closure_ai AFTER INSERT ON calendar_closures "
    "BEGIN INSERT INTO agency_stats_changes (agency_id) VALUES (NULL); END",
    "CREATE TRIGGER stats_change_closure_ad AFTER DELETE ON calendar_closures "
    "BEGIN INSERT INTO agency_stats_changes (agency_id) VALUES (NULL); END",
    "CREATE TRIGGER stats_change_closure_au AFTER UPDATE ON calendar_closures "
    "BEGIN INSERT INTO agency_stats_changes (agency_id) VALUES (NULL); END",
    "CREATE TRIGGER stats_change_agency_au AFTER UPDATE OF name, slug ON agencies "
    "BEGIN INSERT INTO agency_stats_changes (agency_id) VALUES (NEW.id); END",
]

SQLITE_TRIGGER_NAMES = [t.split()[2] for t in SQLITE_TRIGGERS]
PG_TRIGGER_TABLES = [(t.split()[2], t.split(" ON ")[1].split()[0]) for t in PG_TRIGGERS]
PG_FUNCTION_NAMES = ["foia_deadline_counts_clock()", "foia_deadline_counts_request()","foia_request_count_add(integer, integer, varchar, varchar, integer)", "foia_request_counts()",
                     "foia_stats_change_request()", "foia_stats_change_event()", "foia_stats_change_delivery()",
                     "foia_stats_change_all()", "foia_stats_change_agency()"]

BACKFILL = (f"INSERT INTO request_counts ({KEY}, n) SELECT {KEY}, count(*) FROM requests "
            f"WHERE deleted_at IS NULL GROUP BY {KEY}")
DEADLINE_BACKFILL = (
    f"INSERT INTO deadline_counts ({DKEY}, n) SELECT c.due, r.organization_id, r.requester_id, r.visibility, count(*) "
    "FROM request_clocks c JOIN requests r ON r.id = c.request_id WHERE c.status = 'open' AND c.due IS NOT NULL "
    f"AND r.deleted_at IS NULL AND r.status NOT IN {CLOSED} GROUP BY c.due, r.organization_id, r.requester_id, r.visibility")


def upgrade():
    op.create_table('request_counts',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('visibility', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('organization_id', 'requester_id', 'visibility', 'status', name=op.f('pk_request_counts'))
    )
    op.create_table('deadline_counts',
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('visibility', sa.String(length=20), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('due', 'organization_id', 'requester_id', 'visibility', name=op.f('pk_deadline_counts'))
    )
    op.create_table('agency_stats_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_stats_changes'))
    )
    with op.batch_alter_table('stats_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('computed_on', sa.Date(), nullable=True))
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:
        op.execute("LOCK TABLE requests, request_clocks IN SHARE ROW EXCLUSIVE MODE")  # no write before the triggers
    for ddl in (PG_FUNCTIONS + PG_TRIGGERS) if pg else SQLITE_TRIGGERS:
        op.execute(ddl)
    op.execute(BACKFILL)
    op.execute(DEADLINE_BACKFILL)
    # Every scope's stored statistics are recomputed in full by the next refresh.
    op.execute("INSERT INTO agency_stats_changes (agency_id) VALUES (NULL)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, table in PG_TRIGGER_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for fn in PG_FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('stats_snapshots', schema=None) as batch_op:
        batch_op.drop_column('computed_on')
    op.drop_table('agency_stats_changes')
    op.drop_table('deadline_counts')
    op.drop_table('request_counts')
