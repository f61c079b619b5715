"""The connector contract: a Connector declares its settings and streams; a Stream yields Pages.

A Page carries records ALREADY normalised to the import format, the stream's resumable
state after the page, deletions seen at the vendor, and the vendor records it had to skip.
The engine that runs a connector (server.sync) hands it what it needs through `bind()`:
the store's id links and an account-index callable. A connector never imports the server.
"""

from __future__ import annotations

import logging
import os
import time
import typing as t
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests

from connectors.common import Mappings
from connectors.errors import ConfigError
from connectors.settings import Settings


@dataclass
class Page:
    """One unit of progress: land `records`, apply `deletions`, then save `state`.

    Attributes:
        records: import-format record dicts (see docs/import-format), already normalised.
        state: the stream's JSON-serialisable cursor state AFTER this page.
        deletions: (record_type, id) pairs deleted or archived at the vendor.
        skipped: vendor records that could not be normalised: {"vendor_id", "reason"}.
        unmapped: records that could not be attributed to an account, by the key they carried.
        warnings: failures the stream read past (a ConnectorError's `to_dict()`); the stream
            ends `partial` with them in its errors.
    """

    records: list[dict]
    state: dict | None
    deletions: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    unmapped: Counter = field(default_factory=Counter)
    warnings: list[dict] = field(default_factory=list)


class Stream(ABC):
    """One vendor object, declared by class attributes; `pages()` does the work."""

    name: t.ClassVar[str]
    #: Vendor field the state advances on; None means a full refresh every run.
    cursor_field: t.ClassVar[str | None] = None

    def __init__(self, connector: Connector) -> None:
        self.connector = connector
        self.log = logging.getLogger(f"connectors.{connector.name}.{self.name}")

    @abstractmethod
    def pages(self, state: dict | None) -> Iterator[Page]:
        """Yield pages from `state` (None = from the beginning).

        Args:
            state: the `Page.state` of the last page landed, or None for a full sync.

        Returns:
            An iterator of Pages; each page's state must let a new run resume after it.

        Raises:
            ConnectorError: any vendor failure, already classified by connectors.http.
        """

    @staticmethod
    def skip(vendor_id: t.Any, reason: str) -> dict:
        """A `Page.skipped` entry."""
        return {"vendor_id": None if vendor_id is None else str(vendor_id), "reason": reason}


class Connector(ABC):
    """A registered vendor: `name` (registry key, env prefix), settings and streams."""

    name: t.ClassVar[str]
    title: t.ClassVar[str] = ""
    settings_class: t.ClassVar[type[Settings]]
    streams: t.ClassVar[tuple[type[Stream], ...]]

    def __init__(self, settings: Settings, session: requests.Session | None = None, *,
                 workspace: t.Any = None) -> None:
        self.settings = settings
        self.session = session
        #: The workspace mappings (deal kinds, free-mail domains): see connectors.common.
        self.workspace = Mappings() if workspace is None else workspace
        #: When this connector object was made: incremental streams stop at this instant.
        self.started_at = datetime.now(timezone.utc)
        #: Store view handed over by the sync engine: {object_type: {crm id: local id}}.
        self.links: dict[str, dict[str, str]] = {}
        #: Reads the store's accounts as an attribution.AccountIndex (bound by the engine).
        self.account_lookup: t.Callable[[], t.Any] | None = None
        self.log = logging.getLogger(f"connectors.{self.name}")

    # -- construction -------------------------------------------------------
    @classmethod
    def env_prefix(cls) -> str:
        return cls.name.upper() + "_"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 session: requests.Session | None = None, workspace: t.Any = None) -> Connector:
        """Build from `<NAME>_<FIELD>` environment variables."""
        settings = cls.settings_class.from_env(cls.env_prefix(), environ)
        return cls(settings, session=session, workspace=workspace)

    @classmethod
    def configured(cls, environ: Mapping[str, str] | None = None) -> bool:
        """True when any `<NAME>_*` variable is set (the connector is meant to run)."""
        env = os.environ if environ is None else environ
        prefix = cls.env_prefix()
        names = {v["name"] for v in cls.settings_class.env_vars(prefix)}
        return any(env.get(n) for n in names)

    # -- behaviour ----------------------------------------------------------
    @abstractmethod
    def check(self) -> None:
        """Make one cheap authenticated call; raise a ConnectorError on failure."""

    @classmethod
    def stream_names(cls) -> list[str]:
        return [s.name for s in cls.streams]

    def get_stream(self, name: str) -> Stream:
        """The stream called `name`; ConfigError lists the valid names otherwise."""
        for stream_cls in self.streams:
            if stream_cls.name == name:
                return stream_cls(self)
        raise ConfigError(f"unknown stream '{name}'; streams are: "
                          f"{', '.join(self.stream_names())}", connector=self.name)

    def bind(self, links: dict[str, dict[str, str]],
             account_lookup: t.Callable[[], t.Any] | None = None) -> None:
        """Receive what the engine knows before a sync: the store's id links and a callable
        returning the store's accounts (an attribution.AccountIndex) for attribution."""
        self.links = links
        if account_lookup is not None:
            self.account_lookup = account_lookup

    def parent_crm_ids(self, account_id: str) -> list[str]:
        """The forms of the CRM record id that one of this connector's own account ids
        stands for (HubSpot `hubspot-123` -> ["123"]), so a record parked for that account
        lands on the account linked to the record under another id; [] for none."""
        return []

    def close(self) -> None:
        """Release connections."""
        if self.session is not None:
            self.session.close()


class HttpConnector(Connector):
    """A connector talking to one vendor API through lazily built `HttpClient`s."""

    #: Sleep used between retries (tests replace it).
    sleep = staticmethod(time.sleep)
    #: (connect, read) timeout of the vendor API.
    http_timeout: tuple[float, float] = (5, 60)

    def __init__(self, settings: Settings, session: requests.Session | None = None, *,
                 workspace: t.Any = None) -> None:
        super().__init__(settings, session=session, workspace=workspace)
        self._clients: dict[str, t.Any] = {}

    #: REGION -> API host, for the settings that have REGION and a BASE_URL override.
    hosts: t.ClassVar[dict[str, str]] = {}

    @property
    def base_url(self) -> str:
        """The vendor API's base URL: BASE_URL when set, else the host of REGION."""
        return self.settings.base_url or self.hosts[self.settings.region]

    def _auth(self, headers: dict) -> None:
        """Add the credentials to a request's headers."""

    def _http_options(self) -> dict:
        """Extra HttpClient arguments (e.g. a token refresh callable)."""
        return {}

    def client(self, key: str, base_url: str, timeout: tuple[float, float]) -> t.Any:
        """The HttpClient called `key`, built on first use."""
        if key not in self._clients:
            from connectors.http import HttpClient

            self._clients[key] = HttpClient(self.name, base_url, session=self.session,
                                            auth=self._auth, timeout=timeout, sleep=self.sleep,
                                            **self._http_options())
        return self._clients[key]

    @property
    def http(self) -> t.Any:
        """The client of the vendor's main API."""
        return self.client("api", self.base_url, self.http_timeout)

    def close(self) -> None:
        for c in self._clients.values():
            c.close()
        self._clients.clear()
        super().close()
