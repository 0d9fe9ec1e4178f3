"""Certificate credentials in the sandbox's identity platform.

An app registration may hold certificates instead of (or besides) a secret. msal then
posts `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
and a `client_assertion`: a JWT whose header names the certificate (`x5t`, the SHA-1
thumbprint, with RS256; or `x5t#S256` with PS256), whose `aud` is the token endpoint
and whose `iss` and `sub` are the client id, signed by the certificate's private key.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class AssertionRejected(Exception):
    """The client assertion is not acceptable; the message is AAD's description."""


@dataclass(frozen=True)
class ClientCertificate:
    """A key pair and self-signed certificate, as an admin would upload to Entra."""

    private_key_pem: str
    certificate_pem: str
    thumbprint: str  # SHA-1, upper-case hex, as the Entra portal shows it


def make_client_certificate(common_name: str = "oneonone-sandbox") -> ClientCertificate:
    """A fresh RSA key and a one-year self-signed certificate for it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return ClientCertificate(private_pem, public_pem, certificate.fingerprint(hashes.SHA1()).hex())


def _encodings(raw: bytes) -> set[str]:
    # RFC 7515 says unpadded base64url; msal pads it, other clients use standard base64.
    padded = base64.urlsafe_b64encode(raw).decode()
    return {padded, padded.rstrip("="), base64.b64encode(raw).decode()}


def thumbprint_headers(certificate: x509.Certificate) -> set[str]:
    """Every `x5t` / `x5t#S256` header value that names `certificate`."""
    sha1 = certificate.fingerprint(hashes.SHA1())  # x5t is SHA-1 by definition
    return _encodings(sha1) | _encodings(certificate.fingerprint(hashes.SHA256()))


def verify_assertion(
    assertion: str, certificates: list[x509.Certificate], client_id: str, audience: str
) -> None:
    """Accept the assertion or raise AssertionRejected with AAD's reason."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise AssertionRejected("AADSTS50027: JWT token is invalid or malformed.") from None
    named = {header.get("x5t"), header.get("x5t#S256")} - {None}
    found = [c for c in certificates if named & thumbprint_headers(c)]
    if not found:
        raise AssertionRejected(
            "AADSTS700027: The certificate with identifier used to sign the client "
            f"assertion is not registered on application. [Reason - The key was not found., "
            f"Please visit the Azure Portal to verify the credentials of app '{client_id}'.]"
        )
    try:
        claims = jwt.decode(
            assertion,
            found[0].public_key(),  # type: ignore[arg-type]
            algorithms=["RS256", "PS256"],
            audience=audience,
            options={"require": ["exp", "aud", "iss", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise AssertionRejected(
            f"AADSTS700027: Client assertion failed signature validation. ({error})"
        ) from None
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise AssertionRejected(
            "AADSTS700021: Client assertion application identifier doesn't match "
            "'client_id' parameter."
        )
