"""Email over SMTP with TLS against a real local SMTP server (aiosmtpd) holding a self-signed
certificate made in the test (cryptography): STARTTLS and implicit TLS, with AUTH over the
encrypted channel; a certificate that does not verify is an error unless configured so."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from server.playbooks.models import PlaybookAction
from server.playbooks.service import run
from server.playbooks.spec import parse
from tests.served import free_port
from tests.server.playbooks_helpers import add_accounts, day, env, put_day

PLAYBOOK = '''
[[playbook]]
name = "Usage drop"
when = { signal = "usage_drop" }
[[playbook.action]]
email = { to = "owner", subject = "Usage drop at {account.name}", body = "{account.url}" }
'''


def _certificate(tmp_path, host_ip: str = "127.0.0.1"):
    """A self-signed certificate for this machine (127.0.0.1 and localhost) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "account360 test SMTP")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address(host_ip)), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    return cert_path, server


class Inbox:
    """Keeps each message with whether it came over TLS; AUTH PLAIN/LOGIN as robot."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes, bool]] = []
        self.logins: list[tuple[str, bool]] = []

    async def handle_DATA(self, server, session, envelope):
        tls = server.transport.get_extra_info("cipher") is not None
        self.messages.append((list(envelope.rcpt_tos), envelope.content, tls))
        return "250 OK"

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(),
                            server.transport.get_extra_info("cipher") is not None))
        ok = (auth_data.login, auth_data.password) == (b"robot", b"s3cret-pw")
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def servers(tmp_path):
    """A STARTTLS server (TLS required before AUTH and MAIL) and an implicit-TLS one."""
    cert_path, context = _certificate(tmp_path)
    inbox = Inbox()
    starttls = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=inbox,
                          tls_context=context, require_starttls=True, auth_require_tls=True)
    implicit = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=inbox,
                          ssl_context=context, auth_require_tls=False)
    starttls.start()
    implicit.start()
    yield inbox, cert_path, starttls.port, implicit.port
    starttls.stop()
    implicit.stop()


def _world(store):
    add_accounts(store, {"id": "a1", "name": "Alpha", "owner": "maria@example.com"})
    put_day(store, "a1", day(1), signals=["usage_drop"])


def _outcome(store):
    with store.sessions() as s:
        a = s.scalar(select(PlaybookAction))
        return a.status, a.last_error


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_with_the_servers_ca_trusted_and_auth(store, servers, mode):
    inbox, cert_path, starttls_port, implicit_port = servers
    _world(store)
    e = env(store, SMTP_HOST="127.0.0.1", SMTP_TLS=mode, SMTP_CA_FILE=str(cert_path),
            SMTP_PORT=starttls_port if mode == "starttls" else implicit_port,
            SMTP_USERNAME="robot", SMTP_PASSWORD="s3cret-pw", SMTP_FROM="cs@example.com")
    run(e, parse(PLAYBOOK), day(1))
    assert _outcome(store) == ("sent", None)
    assert inbox.logins == [("robot", True)]                  # AUTH over TLS only
    (to, raw, tls), = inbox.messages
    assert (to, tls) == (["maria@example.com"], True)
    msg = message_from_bytes(raw)
    assert (msg["From"], msg["To"], msg["Subject"]) == ("cs@example.com", "maria@example.com",
                                                        "Usage drop at Alpha")
    assert msg.get_payload(decode=True).decode() == "https://cs.example.com/app/accounts/a1\r\n"


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_a_certificate_that_does_not_verify_is_an_error(store, servers, mode):
    inbox, _, starttls_port, implicit_port = servers
    _world(store)
    port = starttls_port if mode == "starttls" else implicit_port
    e = env(store, SMTP_HOST="127.0.0.1", SMTP_TLS=mode, SMTP_PORT=port,
            SMTP_USERNAME="robot", SMTP_PASSWORD="s3cret-pw")
    run(e, parse(PLAYBOOK), day(1))
    status, error = _outcome(store)
    assert status == "retrying"
    assert error == (f"SMTP server 127.0.0.1:{port}: its TLS certificate does not verify "
                     "(self-signed certificate); trust its CA with ACCOUNT360_SMTP_CA_FILE, or "
                     "set ACCOUNT360_SMTP_VERIFY=false")
    assert inbox.messages == [] and inbox.logins == []      # nothing, not even the password


def test_verification_can_be_turned_off(store, servers):
    inbox, _, starttls_port, _ = servers
    _world(store)
    e = env(store, SMTP_HOST="127.0.0.1", SMTP_TLS="starttls", SMTP_PORT=starttls_port,
            SMTP_VERIFY=False, SMTP_USERNAME="robot", SMTP_PASSWORD="s3cret-pw")
    run(e, parse(PLAYBOOK), day(1))
    assert _outcome(store) == ("sent", None)
    assert [tls for _, _, tls in inbox.messages] == [True]


def test_a_host_name_that_does_not_match_is_an_error(store, tmp_path):
    cert_path, context = _certificate(tmp_path, host_ip="10.0.0.1")   # not this machine
    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=free_port(), ssl_context=context)
    ctl.start()
    try:
        _world(store)
        e = env(store, SMTP_HOST="127.0.0.1", SMTP_TLS="ssl", SMTP_PORT=ctl.port,
                SMTP_CA_FILE=str(cert_path))
        run(e, parse(PLAYBOOK), day(1))
    finally:
        ctl.stop()
    status, error = _outcome(store)
    assert status == "retrying" and "its TLS certificate does not verify (IP address " \
        "mismatch" in error
    assert inbox.messages == []


def test_starttls_is_never_skipped_and_no_password_goes_out_in_clear(store):
    inbox = Inbox()
    plain = Controller(inbox, hostname="127.0.0.1", port=free_port())   # offers no STARTTLS
    plain.start()
    try:
        _world(store)
        e = env(store, SMTP_HOST="127.0.0.1", SMTP_TLS="starttls", SMTP_PORT=plain.port)
        run(e, parse(PLAYBOOK), day(1))
    finally:
        plain.stop()
    assert _outcome(store) == ("retrying", f"SMTP server 127.0.0.1:{plain.port} offers no "
                               "STARTTLS (nothing sent in clear; set ACCOUNT360_SMTP_TLS)")
    assert inbox.messages == []
    e = env(store, SMTP_HOST="smtp.example.com", SMTP_TLS="none", SMTP_USERNAME="robot",
            SMTP_PASSWORD="s3cret-pw")
    from server.playbooks.deliver import send_email

    out = send_email(e.cfg, "s3cret-pw", ["maria@example.com"], "s", "b")
    assert (out.ok, out.error) == (False, "refusing to send the SMTP password without TLS to "
                                          "smtp.example.com (set ACCOUNT360_SMTP_TLS to "
                                          "starttls or ssl)")
