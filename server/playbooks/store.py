"""The playbooks file's versions (who changed what, text sealed at rest) and the named
secrets the file refers to as `secret:NAME` (webhook URLs, bot tokens, the SMTP password)."""

from __future__ import annotations

import difflib
import hashlib
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.models import utcnow
from server.playbooks.models import PlaybookSecret, PlaybookVersion
from server.playbooks.spec import SECRET_PREFIX, PlaybookFile, PlaybookFileError, parse
from server.secrets import Vault

FILE_ON_DISK = "file on disk"
SECRET_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


class SecretMissing(LookupError):
    """`secret:NAME` names no stored secret."""


# -- secrets -----------------------------------------------------------------------------
def set_secret(session: Session, vault: Vault, name: str, value: str, by: str) -> None:
    if not SECRET_NAME.match(name):
        raise ValueError("a secret name is lower-case letters, digits, '.', '_' or '-'")
    if not value:
        raise ValueError("the secret's value is empty")
    row = session.get(PlaybookSecret, name)
    if row is None:
        row = PlaybookSecret(name=name)
        session.add(row)
    row.sealed, row.updated_by, row.updated_at = vault.encrypt(value), by, utcnow()


def delete_secret(session: Session, name: str) -> bool:
    row = session.get(PlaybookSecret, name)
    if row is None:
        return False
    session.delete(row)
    return True


def secret_names(session: Session) -> list[dict]:
    return [{"name": r.name, "updated_by": r.updated_by, "updated_at": r.updated_at}
            for r in session.scalars(select(PlaybookSecret).order_by(PlaybookSecret.name))]


def resolve(session: Session, vault: Vault, value: str | None) -> str | None:
    """A file value as used: `secret:NAME` decrypted from the store, anything else as is."""
    if value is None or not value.startswith(SECRET_PREFIX):
        return value
    name = value[len(SECRET_PREFIX):]
    row = session.get(PlaybookSecret, name)
    if row is None:
        raise SecretMissing(f"no stored secret named {name!r} (set it with `account360 "
                            f"playbooks secret set {name}` or on the admin page)")
    return vault.decrypt(row.sealed)


# -- versions of the file -----------------------------------------------------------------
def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _summary(before: str | None, after: PlaybookFile) -> str:
    if before is None:
        return "first version: " + (", ".join(p.name for p in after.playbook) or "no playbooks")
    try:
        prev = parse(before)
    except PlaybookFileError:
        prev = PlaybookFile()
    old = {p.name: p for p in prev.playbook}
    new = {p.name: p for p in after.playbook}
    parts = []
    for label, names in (("added", [n for n in new if n not in old]),
                         ("changed", [n for n in new if n in old and new[n] != old[n]]),
                         ("removed", [n for n in old if n not in new])):
        if names:
            parts.append(f"{label} {', '.join(names)}")
    if after.digest != prev.digest:
        parts.append("digest settings")
    return "; ".join(parts) or "formatting only"


def latest(session: Session) -> PlaybookVersion | None:
    return session.scalar(select(PlaybookVersion).order_by(PlaybookVersion.id.desc()).limit(1))


def record_version(session: Session, vault: Vault, text: str, author: str) -> bool:
    """Store `text` as a new version when it differs from the latest (validated first). The
    row names the version it follows, uniquely: of two processes recording the same edit at
    once, the second one's commit fails (IntegrityError) and it was recorded once."""
    parsed = parse(text)
    last = latest(session)
    digest = digest_of(text)
    if last is not None and last.digest == digest:
        return False
    before = vault.decrypt(last.sealed) if last is not None else None
    session.add(PlaybookVersion(sealed=vault.encrypt(text), digest=digest, author=author,
                                parent_id=last.id if last is not None else 0,
                                created_at=utcnow(), summary=_summary(before, parsed)[:500]))
    return True


def _record(store, vault: Vault, text: str, author: str) -> bool:
    """record_version in its own transaction; a concurrent recorder's row wins."""
    for _ in range(3):
        try:
            with store.session() as s:
                return record_version(s, vault, text, author)
        except IntegrityError:
            continue                 # another process recorded a version meanwhile: re-read
    return False


def load_file(store, vault: Vault, path: str | Path) -> PlaybookFile:
    """The workspace's playbooks file, validated; an edit made on disk since the latest
    version is recorded as a version by "file on disk" (whoever reads it first: a run, a
    preview, the scheduler, the admin page). A bad file raises PlaybookFileError and records
    nothing."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookFileError([f"cannot read {path}: {exc.strerror or exc}"]) from None
    parsed = parse(text)
    with store.sessions() as s:
        last = latest(s)
        known = last is not None and last.digest == digest_of(text)
    if not known:
        _record(store, vault, text, FILE_ON_DISK)
    return parsed


def save_file(store, vault: Vault, path: str | None, text: str, author: str) -> bool:
    """Validate, write the playbooks file and record the version (nothing written when the
    text is invalid: PlaybookFileError)."""
    if not path:
        raise PlaybookFileError(["no playbooks file configured: set ACCOUNT360_PLAYBOOKS"])
    text = text.replace("\r\n", "\n")
    parse(text)
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return _record(store, vault, text, author)


def version_diff(session: Session, vault: Vault, version_id: int) -> str | None:
    """What a version changed: a unified diff of the text against the version before it."""
    row = session.get(PlaybookVersion, version_id)
    if row is None:
        return None
    prev = session.scalar(select(PlaybookVersion).where(PlaybookVersion.id < version_id)
                          .order_by(PlaybookVersion.id.desc()).limit(1))
    before = vault.decrypt(prev.sealed) if prev is not None else ""
    after = vault.decrypt(row.sealed)
    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        f"version {prev.id}" if prev is not None else "(none)", f"version {row.id}"))


def versions(session: Session, limit: int = 50) -> list[dict]:
    q = select(PlaybookVersion).order_by(PlaybookVersion.id.desc()).limit(limit)
    return [{"id": v.id, "author": v.author, "created_at": v.created_at, "summary": v.summary,
             "digest": v.digest[:12]} for v in session.scalars(q)]


def version_text(session: Session, vault: Vault, version_id: int) -> str | None:
    row = session.get(PlaybookVersion, version_id)
    return None if row is None else vault.decrypt(row.sealed)
