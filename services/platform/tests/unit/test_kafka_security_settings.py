"""Kafka security settings (SASL PLAIN/SCRAM, TLS) reach every client, and bad ones stop the start in one line."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from motcua_platform import kafka
from motcua_platform.settings import ServiceSettings, load_settings

BASE = {"MOTCUA_DATABASE_URL": "postgresql://u@127.0.0.1:5432/motcua", "MOTCUA_KAFKA_BOOTSTRAP": "127.0.0.1:9092"}


@pytest.fixture(autouse=True)
def _reset_security(monkeypatch: pytest.MonkeyPatch):
    for key in ("MOTCUA_KAFKA_SECURITY_PROTOCOL", "MOTCUA_KAFKA_SASL_MECHANISM", "MOTCUA_KAFKA_SASL_USERNAME",
                "MOTCUA_KAFKA_SASL_PASSWORD", "MOTCUA_KAFKA_SSL_CAFILE", "MOTCUA_KAFKA_SSL_CERTFILE",
                "MOTCUA_KAFKA_SSL_KEYFILE", "MOTCUA_KAFKA_SSL_CHECK_HOSTNAME"):
        monkeypatch.delenv(key, raising=False)
    for key, value in BASE.items():
        monkeypatch.setenv(key, value)
    yield
    kafka._client_options = {}


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _cert(subject: str, key, issuer_name: x509.Name | None, issuer_key, *, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name or name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
               .not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA, a broker certificate for 127.0.0.1 signed by it, a client certificate, and an unrelated CA."""
    root = tmp_path_factory.mktemp("pki")
    out: dict[str, Path] = {}
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("motcua test CA", ca_key, None, ca_key, ca=True)
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _cert("someone else's CA", other_key, None, other_key, ca=True)
    for label, subject in (("broker", "localhost"), ("client", "motcua-dossier")):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert(subject, key, ca.subject, ca_key, ca=False)
        (root / f"{label}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (root / f"{label}.key").write_bytes(_key_pem(key))
        out[f"{label}_cert"], out[f"{label}_key"] = root / f"{label}.crt", root / f"{label}.key"
    (root / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (root / "other-ca.crt").write_bytes(other.public_bytes(serialization.Encoding.PEM))
    out["ca"], out["other_ca"] = root / "ca.crt", root / "other-ca.crt"
    return out


def _load(monkeypatch: pytest.MonkeyPatch, **env: str) -> ServiceSettings:
    for key, value in env.items():
        monkeypatch.setenv(f"MOTCUA_KAFKA_{key.upper()}", value)
    return load_settings(ServiceSettings)


def _refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **env: str) -> list[str]:
    with pytest.raises(SystemExit) as exc:
        _load(monkeypatch, **env)
    assert exc.value.code == 2
    return capsys.readouterr().err.strip().splitlines()


def test_default_is_plaintext_for_the_embedded_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _load(monkeypatch)
    assert kafka.security_options(settings) == {"security_protocol": "PLAINTEXT"}
    assert kafka.client_options() == {"security_protocol": "PLAINTEXT"}


def test_scram_over_tls_maps_to_aiokafka_arguments(monkeypatch: pytest.MonkeyPatch, pki: dict[str, Path]) -> None:
    settings = _load(monkeypatch, security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
                     sasl_username="motcua-dossier", sasl_password="s3cret", ssl_cafile=str(pki["ca"]))
    options = kafka.security_options(settings)
    context = options.pop("ssl_context")
    assert options == {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
                       "sasl_plain_username": "motcua-dossier", "sasl_plain_password": "s3cret"}
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert "s3cret" not in repr(settings)


def test_plain_sasl_without_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _load(monkeypatch, security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
                     sasl_username="u", sasl_password="p")
    assert kafka.security_options(settings) == {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN",
                                                "sasl_plain_username": "u", "sasl_plain_password": "p"}


async def test_every_client_factory_takes_the_configured_security(monkeypatch: pytest.MonkeyPatch) -> None:
    _load(monkeypatch, security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-256", sasl_username="u",
          sasl_password="p")
    producer = kafka.make_producer("127.0.0.1:9", idempotence=False)
    consumer = kafka.make_consumer("127.0.0.1:9", "t", group_id="g")
    admin = AIOKafkaAdminClient(bootstrap_servers="127.0.0.1:9", **kafka.client_options())
    for client in (producer.client, consumer._client, admin._client):
        assert client._security_protocol == "SASL_PLAINTEXT"
        assert client._sasl_mechanism == "SCRAM-SHA-256"
        assert client._sasl_plain_username == "u"
    await admin.close()
    await consumer.stop()
    await producer.stop()


def test_sasl_without_credentials_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert _refused(monkeypatch, capsys, security_protocol="SASL_SSL", sasl_password="p") == [
        "configuration error: MOTCUA_KAFKA_SASL_USERNAME is required when MOTCUA_KAFKA_SECURITY_PROTOCOL is SASL_SSL"]
    assert _refused(monkeypatch, capsys, security_protocol="SASL_PLAINTEXT", sasl_username="u", sasl_password="") == [
        "configuration error: MOTCUA_KAFKA_SASL_PASSWORD is required when MOTCUA_KAFKA_SECURITY_PROTOCOL is SASL_PLAINTEXT"]


def test_unknown_mechanism_or_protocol_is_refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    [line] = _refused(monkeypatch, capsys, security_protocol="SASL_SSL", sasl_mechanism="GSSAPI", sasl_username="u",
                      sasl_password="p")
    assert line.startswith("configuration error: MOTCUA_KAFKA_SASL_MECHANISM ")
    monkeypatch.delenv("MOTCUA_KAFKA_SASL_MECHANISM")
    [line] = _refused(monkeypatch, capsys, security_protocol="TLS")
    assert line.startswith("configuration error: MOTCUA_KAFKA_SECURITY_PROTOCOL ")


def test_unreadable_tls_files_are_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                        pki: dict[str, Path], tmp_path: Path) -> None:
    assert _refused(monkeypatch, capsys, security_protocol="SSL", ssl_cafile="/nonexistent/ca.crt") == [
        "configuration error: MOTCUA_KAFKA_SSL_CAFILE /nonexistent/ca.crt: No such file or directory"]
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    [line] = _refused(monkeypatch, capsys, security_protocol="SSL", ssl_cafile=str(pki["ca"]),
                      ssl_certfile=str(garbage), ssl_keyfile=str(pki["client_key"]))
    assert line.startswith(f"configuration error: MOTCUA_KAFKA_SSL_CERTFILE/MOTCUA_KAFKA_SSL_KEYFILE {garbage}:")


def test_client_certificate_needs_its_key(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                          pki: dict[str, Path]) -> None:
    assert _refused(monkeypatch, capsys, security_protocol="SSL", ssl_certfile=str(pki["client_cert"])) == [
        "configuration error: MOTCUA_KAFKA_SSL_CERTFILE and MOTCUA_KAFKA_SSL_KEYFILE go together"]


def test_tls_files_with_a_plaintext_protocol_are_a_mistake(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str], pki: dict[str, Path]) -> None:
    [line] = _refused(monkeypatch, capsys, ssl_cafile=str(pki["ca"]))
    assert "MOTCUA_KAFKA_SECURITY_PROTOCOL is PLAINTEXT" in line


async def _handshake_reaches_broker(pki: dict[str, Path], options: dict, *, require_client_cert: bool) -> bool:
    """Run a TLS listener with the broker certificate; True when an aiokafka client's first Kafka request arrives."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(pki["broker_cert"], pki["broker_key"])
    if require_client_cert:
        server_context.verify_mode = ssl.CERT_REQUIRED
        server_context.load_verify_locations(pki["ca"])
    got_request = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            size = await reader.readexactly(4)  # a Kafka request's length prefix, readable only after the handshake
            if int.from_bytes(size, "big") > 0:
                got_request.set()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    admin = AIOKafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=2000, **options)
    try:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(admin.start(), 3)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(got_request.wait(), 1)
        return got_request.is_set()
    finally:
        await admin.close()
        server.close()
        await server.wait_closed()


async def test_tls_context_verifies_the_broker_and_presents_the_client_certificate(
        monkeypatch: pytest.MonkeyPatch, pki: dict[str, Path]) -> None:
    trusted = kafka.security_options(_load(monkeypatch, security_protocol="SSL", ssl_cafile=str(pki["ca"]),
                                           ssl_certfile=str(pki["client_cert"]), ssl_keyfile=str(pki["client_key"])))
    assert await _handshake_reaches_broker(pki, trusted, require_client_cert=True)
    monkeypatch.setenv("MOTCUA_KAFKA_SSL_CAFILE", str(pki["other_ca"]))
    untrusted = kafka.security_options(_load(monkeypatch))
    assert not await _handshake_reaches_broker(pki, untrusted, require_client_cert=False)
    for key in ("CERTFILE", "KEYFILE"):
        monkeypatch.delenv(f"MOTCUA_KAFKA_SSL_{key}")
    monkeypatch.setenv("MOTCUA_KAFKA_SSL_CAFILE", str(pki["ca"]))
    without_client_cert = kafka.security_options(_load(monkeypatch))
    assert not await _handshake_reaches_broker(pki, without_client_cert, require_client_cert=True)
