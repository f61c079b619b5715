"""RestStream: the stream base of the connectors that read a REST API through HttpClient.

The base owns what every such stream did on its own before:

* the paging loop over a cursor endpoint (`connectors.pagination.paginate`, with its loop
  detection) and the bookmark saved as the stream state with each page;
* attribution: `attributor()` resolves keys through the account index the engine bound
  (`Connector.bind`) with the configured ACCOUNT_MATCH;
* the first day to read: `start_day()` is START_DATE, else BACKFILL_DAYS before the run;
* failures mid-body: a body that broke off is read again within the run where a stream
  reads it through `connectors.resume.Resumed` (Mixpanel, Pendo); a `requests` error or a
  body cut short that outlasts those attempts becomes a TransientError (`broke_off`), and
  the vendor's own failures map to typed errors through `errors`.

A vendor declares what differs. A cursor endpoint (Zendesk tickets) declares `path`,
`first_params(state)`, `next_params(token)`, `next_token(data)`, `bookmark(data, state)`
and `page(data, state)`; an export read window by window (Mixpanel, Amplitude, Pendo)
overrides `read(state)` and keeps the rest.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterator
from datetime import date, timedelta

import requests

from connectors.attribution import Attributor, account_index
from connectors.base import Page, Stream
from connectors.errors import ConnectorError, TransientError
from connectors.pagination import Paginator, paginate
from connectors.settings import optional_day
from connectors.streaming import TruncatedBody

#: (exception class, ConnectorError class, message with {exc}, extra error arguments)
ErrorMap = tuple[tuple[type[BaseException], type[ConnectorError], str, dict], ...]


class RestStream(Stream):
    """A stream over a vendor REST API; see the module docstring for what a vendor declares."""

    #: Message of the TransientError for a body that broke off ({kind}: the exception class).
    broke_off: t.ClassVar[str] = ("the answer broke off ({kind}) and again when read again; "
                                  "the next run reads it again")
    #: Vendor failures raised while reading, as typed errors (checked before `broke_off`).
    errors: t.ClassVar[ErrorMap] = ()
    #: The cursor endpoint (cursor streams only).
    path: t.ClassVar[str] = ""

    @property
    def http(self) -> t.Any:
        return self.connector.http

    @property
    def settings(self) -> t.Any:
        return self.connector.settings

    def attributor(self) -> Attributor:
        """Keys -> accounts through the engine's account index (ConfigError without one)."""
        return Attributor(account_index(self.connector), self.settings.account_match)

    def start_day(self) -> date:
        """START_DATE, else BACKFILL_DAYS before the day the run started."""
        s = self.settings
        return optional_day(s.start_date, f"{self.connector.env_prefix()}START_DATE") or (
            self.connector.started_at.date() - timedelta(days=s.backfill_days))

    def pages(self, state: dict | None) -> Iterator[Page]:
        try:
            yield from self.read(state)
        except ConnectorError:
            raise
        except Exception as exc:
            typed = self._typed(exc)
            if typed is exc:
                raise
            raise typed from exc

    def _typed(self, exc: Exception) -> Exception:
        where = {"connector": self.connector.name, "stream": self.name}
        if isinstance(exc, TruncatedBody):  # cut short: a broken-off body, not a bad one
            return TransientError(self.broke_off.format(kind=type(exc).__name__), **where)
        for kind, error, message, extra in self.errors:
            if isinstance(exc, kind):
                return error(message.format(exc=exc, kind=type(exc).__name__), **where, **extra)
        if isinstance(exc, requests.RequestException):
            return TransientError(self.broke_off.format(kind=type(exc).__name__), **where)
        return exc

    # -- the cursor loop ------------------------------------------------------------
    def read(self, state: dict | None) -> Iterator[Page]:
        """Every page of the cursor endpoint from the bookmark in `state`."""
        self.prepare()
        paginator = Paginator(self.next_token, connector=self.connector.name, stream=self.name)

        def fetch(token: t.Any) -> t.Any:
            return self.fetch(self.first_params(state) if token is None
                              else self.next_params(token))

        for data, _ in paginate(fetch, paginator):
            state = self.bookmark(data, state)
            yield self.page(data, state)

    def prepare(self) -> None:
        """Work before the first page (lookup tables read once per run)."""

    def fetch(self, params: dict) -> t.Any:
        """The decoded page answered for `params` (override to check its shape)."""
        return self.http.get_json(self.path, params=params)

    def first_params(self, state: dict | None) -> dict:
        """Query parameters of the first page, from the bookmark in `state` (None: first run)."""
        raise NotImplementedError

    def next_params(self, token: t.Any) -> dict:
        """Query parameters of the page at `token`."""
        raise NotImplementedError

    def next_token(self, data: t.Any) -> t.Any:
        """The token of the page after `data`, or None after the last page."""
        raise NotImplementedError

    def bookmark(self, data: t.Any, state: dict | None) -> dict | None:
        """The stream state after the page `data` (where the next run resumes)."""
        raise NotImplementedError

    def page(self, data: t.Any, state: dict | None) -> Page:
        """The Page of one payload, with `state` as its state."""
        raise NotImplementedError
