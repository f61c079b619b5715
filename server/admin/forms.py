"""The fields of a connector's settings form, built from its settings dataclass: a label
and help text in plain words (never a field or environment variable name)."""

from __future__ import annotations

import dataclasses
import re

BASIC = {"api_key", "secret_key", "integration_key", "api_secret", "service_account_username",
         "service_account_secret", "project_id", "region", "subdomain", "email", "api_token",
         "access_token", "base_url"}


#: Words written their usual way in labels.
WORDS = {"api": "API", "url": "URL", "id": "ID", "oauth": "OAuth", "arr": "ARR", "qbr": "QBR",
         "crm": "CRM", "eu": "EU", "us": "US"}
_NAME = re.compile(r"(?<![A-Za-z0-9])_?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*"
                   r"|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![A-Za-z0-9_])")


def label(name: str) -> str:
    """service_account_username -> Service account username; base_url -> Base URL."""
    words = [WORDS.get(w, w) for w in name.split("_") if w]
    if words and words[0] == words[0].lower():
        words[0] = words[0].capitalize()
    return " ".join(words)


def help_text(text: str, names: set[str], prefix: str = "") -> str:
    """The help with references to other settings (BACKFILL_DAYS, _PROJECT_ID,
    ZENDESK_API_TOKEN, refresh_token) written as their labels."""
    def swap(m: re.Match) -> str:
        key = m.group(1).lower()
        if prefix and key.startswith(prefix.lower()):
            key = key[len(prefix):]
        return f"“{label(key)}”" if key in names else m.group(0)

    return _NAME.sub(swap, text or "")


def form_fields(cls, saved: dict | None) -> list[dict]:
    saved = saved or {}
    out = []
    fields = cls.settings_class.fields()
    names = {f.name for f in fields}
    prefix = cls.env_prefix() if hasattr(cls, "env_prefix") else ""
    for f in fields:
        required = f.default is dataclasses.MISSING and \
            f.default_factory is dataclasses.MISSING
        secret = bool(f.metadata.get("secret"))
        value = saved.get(f.name)
        out.append({"name": f.name, "label": label(f.name),
                    "help": help_text(f.metadata.get("help", ""), names, prefix),
                    "secret": secret,
                    "required": required, "basic": required or secret or f.name in BASIC,
                    "value": "" if secret else ("" if value is None else value),
                    "saved": bool(value) if secret else False,
                    "hint": "" if not (secret and value) else "saved; leave blank to keep"})
    return out


def posted_settings(cls, saved: dict | None, form) -> dict:
    """The settings a form post carries; a blank secret keeps the saved one."""
    saved = saved or {}
    data = {}
    for f in cls.settings_class.fields():
        raw = form.get(f"f_{f.name}")
        if raw is None:
            continue
        raw = raw.strip()
        if f.metadata.get("secret") and raw == "" and saved.get(f.name):
            data[f.name] = saved[f.name]
        elif raw != "":
            data[f.name] = raw
    return data
