"""event_digests: the ingested events' identity digests, one row per account and UTC day
(8-byte little-endian digests appended in a blob) instead of one event_keys row per event

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 15:45:00
"""
import sys
from array import array

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

CHUNK = 1000


def _pack(digests: list[int]) -> bytes:
    arr = array("q", digests)
    if sys.byteorder == "big":
        arr.byteswap()
    return arr.tobytes()


def _unpack(blob: bytes) -> list[int]:
    arr = array("q")
    arr.frombytes(bytes(blob))
    if sys.byteorder == "big":
        arr.byteswap()
    return arr.tolist()


def upgrade() -> None:
    op.create_table(
        "event_digests",
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("digests", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_event_digests_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "day", name=op.f("pk_event_digests")),
        sqlite_with_rowid=False,
    )
    conn = op.get_bind()
    digests = sa.table("event_digests", sa.column("account_id"), sa.column("day"),
                       sa.column("digests", sa.LargeBinary()))
    rows = conn.execute(sa.text(
        "SELECT account_id, day, digest FROM event_keys ORDER BY account_id, day"),
        execution_options={"stream_results": True, "yield_per": 10_000})
    batch, key, held = [], None, []
    for account_id, day, digest in rows:
        if (account_id, day) != key:
            if held:
                batch.append({"account_id": key[0], "day": key[1], "digests": _pack(held)})
            key, held = (account_id, day), []
            if len(batch) >= CHUNK:
                conn.execute(digests.insert(), batch)
                batch = []
        held.append(digest)
    if held:
        batch.append({"account_id": key[0], "day": key[1], "digests": _pack(held)})
    if batch:
        conn.execute(digests.insert(), batch)
    op.drop_table("event_keys")


def downgrade() -> None:
    op.create_table(
        "event_keys",
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("digest", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_event_keys_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("day", "digest", name=op.f("pk_event_keys")),
        sqlite_with_rowid=False,
    )
    conn = op.get_bind()
    keys = sa.text("INSERT INTO event_keys (day, digest, account_id) "
                   "VALUES (:day, :digest, :account_id) ON CONFLICT DO NOTHING")
    rows = conn.execute(sa.text("SELECT account_id, day, digests FROM event_digests"),
                        execution_options={"stream_results": True, "yield_per": 1000})
    batch: list[dict] = []
    for account_id, day, blob in rows:
        batch += [{"day": day, "digest": d, "account_id": account_id} for d in _unpack(blob)]
        if len(batch) >= CHUNK * 10:
            conn.execute(keys, batch)
            batch = []
    if batch:
        conn.execute(keys, batch)
    op.drop_table("event_digests")
