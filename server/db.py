"""Database engine, sessions and Alembic migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from time import monotonic

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA cache_size=-65536")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.close()

        return engine
    engine = create_engine(url)
    _ping_when_idle(engine)
    return engine


#: a pooled connection unused for longer than this is pinged when checked out (a dead one is
#: replaced and the checkout tried again); one used within it is not
PING_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pessimistic disconnect handling, with the ping skipped for a connection
    returned to the pool less than PING_IDLE_SECONDS ago. `pool_pre_ping` pings at every
    checkout: a round trip per request, on a busy machine a wait for the server process to be
    scheduled (the trivial route's one statement became two). A server restart or an idle
    timeout leaves connections unused for longer than that, so they are still pinged; a
    connection lost within the second fails its request, and the pool then drops every
    connection older than the failure (SQLAlchemy's disconnect handling)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record) -> None:  # noqa: ANN001
        record.info["idle_since"] = monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn, record, _proxy) -> None:  # noqa: ANN001
        since = record.info.pop("idle_since", None)
        if since is None or monotonic() - since < PING_IDLE_SECONDS:
            return   # connected just now, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("the pooled connection is gone") from exc


def alembic_config(url: str) -> AlembicConfig:
    """An Alembic config pointing at the packaged migrations and the given database."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the latest migration."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class SchemaNotCurrent(RuntimeError):
    """The database is not at the migration this version of the code needs."""


def check_current(engine: Engine) -> None:
    """Raise SchemaNotCurrent unless the database is at the latest migration."""
    heads = set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current != heads:
        where = engine.url.render_as_string(hide_password=True)
        at = ", ".join(sorted(current)) or "no migration (an empty database)"
        raise SchemaNotCurrent(
            f"the database {where} is at {at}, this version needs {', '.join(sorted(heads))}; "
            "run `account360 db upgrade` first")


class Store:
    """Owns the engine and session factory of one configured database.

    Opening a store never migrates unless asked (`migrate=True` or `upgrade()`): migrations
    run from `account360 db upgrade`, `serve` and `demo`, never from web workers.
    """

    def __init__(self, url: str, migrate: bool = False) -> None:
        import server.rows.refresh  # noqa: F401  (keeps the metrics rows true on every commit)

        self.engine = make_engine(url)
        if migrate:
            upgrade(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info={"store": self})
        #: sessions of a request that only reads (the 360, the lookup): on PostgreSQL in
        #: autocommit, so no BEGIN and no ROLLBACK round trip around its statements. The same
        #: data is seen: at PostgreSQL's read committed isolation each statement of a
        #: transaction reads its own snapshot too. Elsewhere the usual sessions.
        self.read_sessions = sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.engine.dialect.name == "postgresql" else self.engine,
            expire_on_commit=False, info={"store": self})
        self._settings = None

    @property
    def settings(self):
        """The workspace settings the metrics rows are computed with (set by the app or CLI;
        else the latest applied settings version, else the configured settings file)."""
        if self._settings is None:
            from server.config import load_config
            from server.settings_history import effective

            self._settings = effective(self, load_config()["SETTINGS"])
        return self._settings

    @settings.setter
    def settings(self, value) -> None:
        self._settings = value

    def upgrade(self) -> None:
        """Apply pending migrations."""
        upgrade(self.engine)

    def check_current(self) -> None:
        """Raise SchemaNotCurrent unless the schema is at the latest migration."""
        check_current(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()
