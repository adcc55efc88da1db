"""Flask extensions, created unbound here and bound in create_app()."""

from typing import TYPE_CHECKING, ClassVar

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, Table, event
from sqlalchemy.orm import DeclarativeBase

# Deterministic constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Every model here is mapped to a Table (DeclarativeBase types __table__ as any FromClause).
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

# The base class of every model. At runtime it is db.Model, which Flask-SQLAlchemy builds from Base (same
# metadata, plus its session and bind machinery); the type checker cannot see through that dynamic class,
# so for it the base is Base itself.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
login_manager = LoginManager()
csrf = CSRFProtect()
#: Rate limits (storage: RATELIMIT_STORAGE_URI, from FOIA_RATELIMIT_STORAGE_URI). Keyed by the client's
#: address, which is the socket's peer unless FOIA_TRUSTED_PROXIES configures ProxyFix. Any route can be
#: limited: ``@limiter.limit("5 per minute", methods=["POST"])`` (optionally ``key_func=...``).
limiter = Limiter(key_func=get_remote_address)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite as a real application database: enforce foreign keys, let the web server and the
    scheduler share the file (WAL: readers never block the writer), and wait for a busy lock
    instead of failing."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 15000")
    cursor.execute("PRAGMA cache_size = -65536")  # 64 MB of page cache (the default 2 MB makes list pages re-read)
    cursor.close()


# Statements that never start a write transaction on SQLite (see _sqlite_begin_before_write).
_SQLITE_NO_TXN = ("SELECT", "PRAGMA", "EXPLAIN", "BEGIN", "COMMIT", "END", "ROLLBACK", "RELEASE", "VACUUM",
                  "ANALYZE", "ATTACH", "DETACH")


def _sqlite_driver_autocommit(dbapi_connection, _record) -> None:
    """SQLAlchemy's pysqlite recipe ("Serializable isolation / Savepoints / Transactional DDL"), first half:
    stop pysqlite from managing transactions itself. Left to itself it emits BEGIN only before
    INSERT/UPDATE/DELETE, never before SAVEPOINT, so a ``begin_nested()`` that came first was the outermost
    transaction and releasing it COMMITTED (review F6: a multi-file upload answered "nothing was saved"
    and had saved 2 of 3 documents)."""
    dbapi_connection.isolation_level = None


def _sqlite_begin_before_write(_conn, cursor, statement, _parameters, _context, _executemany) -> None:
    """The recipe's second half, emitting BEGIN ourselves, with one deliberate difference: BEGIN IMMEDIATE
    right before the first statement that writes (or opens a savepoint), not a deferred BEGIN when
    SQLAlchemy's transaction starts.

    Why: with the recipe's plain ``BEGIN`` at the first SELECT, a transaction that reads and then writes holds
    a WAL snapshot; if another connection commits in between, SQLite refuses the write at once with
    SQLITE_BUSY_SNAPSHOT ("database is locked") without consulting busy_timeout. Four threads doing
    read-then-insert: 150 of 200 transactions failed with the plain recipe, 0 with this (bench/fault_storage.py
    measures it). BEGIN IMMEDIATE takes the write lock waiting up to busy_timeout, on a fresh snapshot.
    Reads before the first write run in autocommit exactly as they did under pysqlite (readers never hold
    the write lock); everything from the first write or savepoint on, savepoints included, is one
    transaction that ``rollback()`` undoes whole. DDL is transactional too. PRAGMAs stay outside."""
    dbapi = cursor.connection
    if dbapi.in_transaction:
        return
    head = statement.lstrip()[:10].upper()
    if head.startswith(_SQLITE_NO_TXN):
        return
    dbapi.execute("BEGIN IMMEDIATE")


def configure_engine(engine) -> None:

    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_driver_autocommit)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "before_cursor_execute", _sqlite_begin_before_write)
