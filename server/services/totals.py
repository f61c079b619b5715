"""The folded inputs of a group of accounts (the portfolio and team figures are rendered from
them); built from per-account inputs (server.services.portfolio) or from the
account-metrics rows with grouped SQL (server.rows.team)."""

from __future__ import annotations

from dataclasses import dataclass

from server import metrics as mx


@dataclass(frozen=True)
class Totals:
    """The folded inputs of one group of accounts, from which every figure is rendered."""

    accounts: int
    loaded_arr: object
    retention: mx.Retention
    expansion_by_quarter: list
    ttfv: dict
    onboarding: dict
    ces: dict
    touchpoints_90d: int
    advocacy_365d: int
    nps: mx.Nps
    response: tuple  # (median hours, tickets)
    resolution: tuple
    bands: dict
    warnings: dict
    by_severity: dict
    reply: tuple = (None, 0)  # (median hours from an inbound email to our reply, replies)
