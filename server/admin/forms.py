"""The fields of a connector's settings form, built from its settings dataclass."""

from __future__ import annotations

import dataclasses

BASIC = {"api_key", "secret_key", "integration_key", "api_secret", "service_account_username",
         "service_account_secret", "project_id", "region", "subdomain", "email", "api_token",
         "access_token", "base_url"}


def form_fields(cls, saved: dict | None) -> list[dict]:
    saved = saved or {}
    out = []
    for f in cls.settings_class.fields():
        required = f.default is dataclasses.MISSING and \
            f.default_factory is dataclasses.MISSING
        secret = bool(f.metadata.get("secret"))
        value = saved.get(f.name)
        out.append({"name": f.name, "label": f.name.replace("_", " "),
                    "help": f.metadata.get("help", ""), "secret": secret,
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
