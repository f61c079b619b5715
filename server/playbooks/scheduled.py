"""The daily digest as a background job (server.jobs `playbooks.digest`, on
ACCOUNT360_PLAYBOOKS_DIGEST_CRON). The playbooks themselves run as `playbooks.run` after
each sync and the daily metrics job (server/jobs/work.py). Without a playbooks file, or
without a `[digest]` table in it, the digest does nothing; a bad file fails the job with
the file's errors."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def digest_job(store, cfg: dict) -> int:
    """Send today's digests; returns how many CSMs had one."""
    from server.playbooks.digest import send
    from server.playbooks.service import Env, playbooks_of
    from server.rows.refresh import today
    from server.secrets import Vault

    if not cfg.get("PLAYBOOKS"):
        return 0
    vault = Vault.from_config(cfg)
    pf = playbooks_of(cfg, store, vault)
    if pf.digest is None:
        return 0
    report = send(Env(store, cfg, vault), pf, today())
    log.info("playbooks digest: %d CSMs", len(report))
    return len(report)
