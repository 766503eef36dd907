"""Bearer token hardening: required claims, clock-skew leeway, algorithm allow-list, JWKS with rotation."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from motcua_gateway.auth import TokenVerifier
from motcua_gateway.settings import Settings
from motcua_platform.errors import Unauthenticated, Unavailable

ISSUER, AUDIENCE = "https://sso.example.gov.vn/realms/motcua", "motcua-gateway"


def settings(**overrides: Any) -> Settings:
    base = {"database_url": "postgresql://u@127.0.0.1/x", "kafka_bootstrap": "127.0.0.1:9092",
            "auth_issuer": ISSUER, "auth_audience": AUDIENCE, "auth_leeway_seconds": 30}
    return Settings(_env_file=None, **{**base, **overrides})  # type: ignore[call-arg]


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    out = {"sub": "canbo.saigon", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600,
           "roles": ["officer"], "agency": "000.00.41.H29"}
    out.update(overrides)
    return {k: v for k, v in out.items() if v is not None}


RSA_KEYS = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2)]
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwk_of(private_key: Any, kid: str) -> dict[str, Any]:
    algorithm = jwt.algorithms.RSAAlgorithm if isinstance(private_key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
    jwk = json.loads(algorithm.to_jwk(private_key.public_key()))
    jwk.update(kid=kid, use="sig", alg="RS256" if isinstance(private_key, rsa.RSAPrivateKey) else "ES256")
    return jwk


def pem_of(private_key: Any) -> str:
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def rejected(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as exc:
        verifier.verify(token)
    return exc.value.message


@pytest.fixture
def jwks_file(tmp_path: Path) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk_of(RSA_KEYS[0], "k1"), jwk_of(RSA_KEYS[1], "k2"), jwk_of(EC_KEY, "e1")]}))
    return path


def test_jwks_file_keys_verify_and_rotation_picks_the_kid(jwks_file: Path) -> None:
    verifier = TokenVerifier(settings(auth_jwks_file=str(jwks_file)))
    for key, kid, alg in ((RSA_KEYS[0], "k1", "RS256"), (RSA_KEYS[1], "k2", "RS256"), (EC_KEY, "e1", "ES256")):
        principal = verifier.verify(jwt.encode(claims(), key, algorithm=alg, headers={"kid": kid}))
        assert principal.subject == "canbo.saigon" and principal.has_role("officer")
    # signed by k2 but claiming k1: the signature does not verify
    assert "InvalidSignatureError" in rejected(verifier, jwt.encode(claims(), RSA_KEYS[1], algorithm="RS256",
                                                                        headers={"kid": "k1"}))
    assert "unknown key id" in rejected(verifier, jwt.encode(claims(), RSA_KEYS[0], algorithm="RS256",
                                                             headers={"kid": "nope"}))


def test_alg_none_is_refused(jwks_file: Path) -> None:
    unsigned = jwt.encode(claims(), None, algorithm="none")
    for config in (settings(auth_jwks_file=str(jwks_file)), settings(auth_public_key_pem=pem_of(RSA_KEYS[0])),
                   settings(auth_hs256_secret="s" * 40)):
        assert "not allowed" in rejected(TokenVerifier(config), unsigned)


def test_hs256_signed_with_the_public_key_is_refused(jwks_file: Path) -> None:
    """The classic confusion: the attacker signs HS256 using the (public) PEM as the HMAC secret."""
    pem = pem_of(RSA_KEYS[0])
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims(roles=["operator"])).encode()).rstrip(b"=")
    import hashlib
    import hmac

    signature = base64.urlsafe_b64encode(hmac.new(pem.encode(), header + b"." + payload, hashlib.sha256).digest()).rstrip(b"=")
    forged = b".".join((header, payload, signature)).decode()
    assert "not allowed" in rejected(TokenVerifier(settings(auth_public_key_pem=pem)), forged)
    assert "not allowed" in rejected(TokenVerifier(settings(auth_jwks_file=str(jwks_file))), forged)


def test_algorithm_must_match_the_key(jwks_file: Path) -> None:
    verifier = TokenVerifier(settings(auth_jwks_file=str(jwks_file)))
    # an ES256 token pointing at an RSA key id
    assert "does not match" in rejected(verifier, jwt.encode(claims(), EC_KEY, algorithm="ES256", headers={"kid": "k1"}))
    # with a shared secret only HS256 is accepted
    shared = TokenVerifier(settings(auth_hs256_secret="s" * 40))
    assert "not allowed" in rejected(shared, jwt.encode(claims(), RSA_KEYS[0], algorithm="RS256"))
    assert shared.verify(jwt.encode(claims(), "s" * 40, algorithm="HS256")).subject == "canbo.saigon"


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "iss", "aud"])
def test_every_required_claim_is_required(missing: str) -> None:
    verifier = TokenVerifier(settings(auth_hs256_secret="s" * 40))
    token = jwt.encode(claims(**{missing: None}), "s" * 40, algorithm="HS256")
    assert "MissingRequiredClaimError" in rejected(verifier, token)


def test_wrong_issuer_or_audience_is_refused() -> None:
    verifier = TokenVerifier(settings(auth_hs256_secret="s" * 40))
    assert "InvalidIssuerError" in rejected(verifier, jwt.encode(claims(iss="https://evil"), "s" * 40, algorithm="HS256"))
    assert "InvalidAudienceError" in rejected(verifier, jwt.encode(claims(aud="other-app"), "s" * 40, algorithm="HS256"))


def test_clock_skew_leeway() -> None:
    verifier = TokenVerifier(settings(auth_hs256_secret="s" * 40, auth_leeway_seconds=30))
    now = int(time.time())
    # expired 10 s ago / issued 10 s in the future: within the 30 s leeway
    assert verifier.verify(jwt.encode(claims(exp=now - 10, iat=now - 600), "s" * 40, algorithm="HS256"))
    assert verifier.verify(jwt.encode(claims(iat=now + 10), "s" * 40, algorithm="HS256"))
    with pytest.raises(Unauthenticated) as exc:
        verifier.verify(jwt.encode(claims(exp=now - 60, iat=now - 600), "s" * 40, algorithm="HS256"))
    assert exc.value.code == "TOKEN_EXPIRED"
    assert "ImmatureSignatureError" in rejected(verifier, jwt.encode(claims(iat=now + 120), "s" * 40, algorithm="HS256"))
    strict = TokenVerifier(settings(auth_hs256_secret="s" * 40, auth_leeway_seconds=0))
    with pytest.raises(Unauthenticated):
        strict.verify(jwt.encode(claims(exp=now - 10, iat=now - 600), "s" * 40, algorithm="HS256"))


@contextlib.contextmanager
def jwks_server(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], list[str]]]:
    """A real HTTP server publishing `document` (mutable: rotate keys by editing it); yields url, doc, request log."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/certs", document, requests
    finally:
        server.shutdown()
        server.server_close()


def test_jwks_url_is_fetched_cached_and_refetched_on_rotation() -> None:
    with jwks_server({"keys": [jwk_of(RSA_KEYS[0], "k1")]}) as (url, document, requests):
        verifier = TokenVerifier(settings(auth_jwks_url=url, auth_jwks_cache_seconds=300,
                                          auth_jwks_refetch_cooldown_seconds=0))
        for _ in range(3):
            verifier.verify(jwt.encode(claims(), RSA_KEYS[0], algorithm="RS256", headers={"kid": "k1"}))
        assert len(requests) == 1, "keys are cached"
        # the issuer rotates to k2: the unknown kid makes the gateway refetch, no restart needed
        document["keys"] = [jwk_of(RSA_KEYS[1], "k2")]
        assert verifier.verify(jwt.encode(claims(), RSA_KEYS[1], algorithm="RS256", headers={"kid": "k2"}))
        assert len(requests) == 2


def test_unreachable_jwks_is_503_not_401() -> None:
    with jwks_server({"keys": []}) as (url, _, _):
        pass  # server closed: nothing listens there any more
    verifier = TokenVerifier(settings(auth_jwks_url=url))
    with pytest.raises(Unavailable):
        verifier.verify(jwt.encode(claims(), RSA_KEYS[0], algorithm="RS256", headers={"kid": "k1"}))


def test_garbage_tokens_are_401() -> None:
    verifier = TokenVerifier(settings(auth_hs256_secret="s" * 40))
    for token in ("", "abc", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.", "x" * 5000):
        rejected(verifier, token)


def test_a_citizens_verified_id_number_is_read_from_the_configured_claim(jwks_file: Path) -> None:
    verifier = TokenVerifier(settings(auth_jwks_file=str(jwks_file), auth_citizen_id_claim="cccd"))

    def principal(**extra: Any) -> Any:
        return verifier.verify(jwt.encode(claims(**extra), RSA_KEYS[0], algorithm="RS256", headers={"kid": "k1"}))

    citizen = principal(sub="vneid-1", roles=["citizen"], agency=None, cccd="0791 9000 1234")
    assert citizen.id_number == "079190001234" and "079190001234" not in repr(citizen)  # normalised; kept out of logs
    assert principal(sub="vneid-2", roles=["citizen"], agency=None, cccd="123456789").id_number == "123456789"  # CMND
    assert principal(sub="vneid-3", roles=["citizen"], agency=None).id_number is None  # signed in, no ID number
    assert principal(sub="vneid-4", roles=["citizen"], agency=None, id_number="079190001234").id_number is None
    assert principal(cccd="079190001234").id_number is None  # an officer's token: the claim means nothing there
    assert "cccd claim is not an ID number" in rejected(verifier, jwt.encode(
        claims(roles=["citizen"], cccd="07919-ABC"), RSA_KEYS[0], algorithm="RS256", headers={"kid": "k1"}))
