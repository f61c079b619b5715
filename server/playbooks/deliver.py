"""Carrying out the messages: Slack through the official `slack_sdk` (an incoming webhook, or
`chat.postMessage` with a bot token) and email over SMTP (`smtplib`, `email`).

Each call answers an `Outcome` instead of raising: sent, or the vendor's error with the
Retry-After Slack gave (a 429). Nothing here sleeps or retries: the caller schedules the
retry, so one slow or failing receiver never holds up the others. Secrets (webhook URLs,
tokens, passwords) are never put into an error or a log line.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

TIMEOUT = 15

#: The logger handed to slack_sdk's clients: theirs log the URL (a webhook's is its secret)
#: and the Authorization header at DEBUG, so they get one that logs nothing; the outcome
#: carries what went wrong instead.
QUIET = logging.getLogger("server.playbooks.slack_sdk")
QUIET.setLevel(logging.CRITICAL + 1)
QUIET.propagate = False


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None
    retry_after: float | None = None
    detail: dict | None = None
    #: a failure no retry can fix (no recipient, no Slack user): not tried again
    final: bool = False
    #: the receiver did not answer (connection refused, timeout): the rest of the run does
    #: not wait on it again (server.playbooks.retries.guarded)
    unreachable: bool = False


def _retry_after(headers) -> float | None:
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


def slack_webhook(url: str, text: str) -> Outcome:
    """POST {"text": ...} to an incoming webhook; Slack answers `ok` or an error string."""
    from slack_sdk.webhook import WebhookClient

    try:
        resp = WebhookClient(url, timeout=TIMEOUT, logger=QUIET).send(text=text)
    except Exception as exc:  # noqa: BLE001 - network errors become a retryable outcome
        return Outcome(False, f"Slack webhook unreachable: {type(exc).__name__}",
                       unreachable=True)
    if resp.status_code == 200:
        return Outcome(True)
    return Outcome(False, f"Slack webhook answered {resp.status_code}: {(resp.body or '')[:300]}",
                   _retry_after(resp.headers) if resp.status_code == 429 else None)


def slack_post(token: str, channel: str, text: str, base_url: str) -> Outcome:
    """chat.postMessage with a bot token (a channel id or name, or a user id for a DM)."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    try:
        client = WebClient(token=token, base_url=base_url, timeout=TIMEOUT, logger=QUIET)
        resp = client.chat_postMessage(channel=channel, text=text)
    except SlackApiError as exc:
        r = exc.response
        error = r.get("error") if isinstance(r.data, dict) else None
        return Outcome(False, f"Slack API answered {r.status_code}: {error or r.data!s:.300}",
                       _retry_after(r.headers) if r.status_code == 429 else None)
    except Exception as exc:  # noqa: BLE001
        return Outcome(False, f"Slack API unreachable: {type(exc).__name__}", unreachable=True)
    return Outcome(True, detail={"ts": resp.get("ts"), "channel": resp.get("channel")})


def slack_user_id(token: str, email: str, base_url: str) -> tuple[str | None, Outcome | None]:
    """The Slack user of an email address (users.lookupByEmail), for a direct message; a
    person without a Slack user is a final failure that says so."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    try:
        client = WebClient(token=token, base_url=base_url, timeout=TIMEOUT, logger=QUIET)
        resp = client.users_lookupByEmail(email=email)
    except SlackApiError as exc:
        r = exc.response
        error = r.get("error") if isinstance(r.data, dict) else None
        if error == "users_not_found":
            return None, Outcome(False, f"{email} has no Slack user (users.lookupByEmail: "
                                        "users_not_found)", final=True)
        return None, Outcome(False, f"Slack API answered {r.status_code}: {error or r.data!s:.300}",
                             _retry_after(r.headers) if r.status_code == 429 else None)
    except Exception as exc:  # noqa: BLE001
        return None, Outcome(False, f"Slack API unreachable: {type(exc).__name__}",
                             unreachable=True)
    uid = (resp.get("user") or {}).get("id")
    if not uid:
        return None, Outcome(False, f"{email} has no Slack user (users.lookupByEmail)",
                             final=True)
    return uid, None


def slack_dm(token: str, email: str, text: str, base_url: str) -> Outcome:
    """A direct message to the Slack user of an email address (lookup, then post)."""
    user, failed = slack_user_id(token, email, base_url)
    if failed is not None:
        return failed
    out = slack_post(token, user, text, base_url)
    return Outcome(True, detail={**(out.detail or {}), "user": user}) if out.ok else out


def sender(cfg: dict) -> str:
    return cfg.get("SMTP_FROM") or f"account360@{cfg.get('SMTP_HOST') or 'localhost'}"


def message(cfg: dict, to: list[str], subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender(cfg)
    msg["To"] = ", ".join(to)
    msg["Subject"] = " ".join(subject.splitlines())
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender(cfg).rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    return msg


def smtp_target(cfg: dict) -> str:
    return f"smtp {cfg.get('SMTP_HOST')}:{int(cfg.get('SMTP_PORT') or 587)}"


def tls_context(cfg: dict) -> ssl.SSLContext:
    """The client TLS context of SMTP: the system's trusted CAs (or ACCOUNT360_SMTP_CA_FILE)
    and the host name checked; ACCOUNT360_SMTP_VERIFY=false accepts any certificate."""
    context = ssl.create_default_context(cafile=cfg.get("SMTP_CA_FILE") or None)
    if cfg.get("SMTP_VERIFY") is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def send_email(cfg: dict, password: str | None, to: list[str], subject: str,
               body: str) -> Outcome:
    """Send one plain-text message over SMTP (STARTTLS, implicit TLS or plain, as set). A
    certificate that does not verify is an error (unless ACCOUNT360_SMTP_VERIFY=false); a
    server that offers no STARTTLS is never written to in clear; a password is only sent in
    clear to a server on this machine."""
    host = cfg.get("SMTP_HOST")
    if not host:
        return Outcome(False, "no SMTP server configured (ACCOUNT360_SMTP_HOST)")
    if not to:
        return Outcome(False, "no recipient: the account has no CSM", final=True)
    port = int(cfg.get("SMTP_PORT") or 587)
    timeout = float(cfg.get("SMTP_TIMEOUT") or TIMEOUT)
    tls = cfg.get("SMTP_TLS") or "starttls"
    login = cfg.get("SMTP_USERNAME")
    if login and tls == "none" and host not in ("127.0.0.1", "localhost", "::1"):
        return Outcome(False, "refusing to send the SMTP password without TLS to "
                              f"{host} (set ACCOUNT360_SMTP_TLS to starttls or ssl)")
    try:
        if tls == "ssl":
            client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls_context(cfg))
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if tls == "starttls":
                client.ehlo()
                if not client.has_extn("starttls"):
                    return Outcome(False, f"SMTP server {host}:{port} offers no STARTTLS "
                                          "(nothing sent in clear; set ACCOUNT360_SMTP_TLS)")
                client.starttls(context=tls_context(cfg))
            if login:
                client.login(login, password or "")
            refused = client.send_message(message(cfg, to, subject, body))
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        return Outcome(False, f"SMTP {exc.smtp_code}: {text[:300]}")
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(False, "SMTP refused every recipient: " + ", ".join(
            f"{k} ({v[0]})" for k, v in exc.recipients.items()))
    except ssl.SSLCertVerificationError as exc:
        return Outcome(False, f"SMTP server {host}:{port}: its TLS certificate does not verify "
                              f"({exc.verify_message or exc.reason}); trust its CA with "
                              "ACCOUNT360_SMTP_CA_FILE, or set ACCOUNT360_SMTP_VERIFY=false")
    except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, TimeoutError,
            ConnectionError, socket.gaierror) as exc:
        return Outcome(False, f"SMTP server {host}:{port} unreachable: {type(exc).__name__}"
                              + (f": {str(exc)[:200]}" if str(exc) else ""), unreachable=True)
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(False, f"SMTP {type(exc).__name__}: {str(exc)[:300]}")
    if refused:
        return Outcome(True, detail={"refused": sorted(refused)})
    return Outcome(True)
