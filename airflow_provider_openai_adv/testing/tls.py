"""HTTPS for the emulator: the files it needs, and throwaway ones for tests.

::

    tls = write_test_certificates(tmp_path)
    with OpenAIEmulator(tls=tls) as emulator:  # base_url: https://127.0.0.1:<port>/v1
        requests.get(emulator.base_url + "/models", verify=tls.cafile, headers=...)

The emulator itself reads only :class:`TLSFiles`' paths; this module, which needs
``cryptography`` (an Airflow dependency), is imported only by code that uses it.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TEST_HOSTS = ("localhost", "127.0.0.1")
CA_NAME = "OpenAI emulator test CA"
VALIDITY = datetime.timedelta(days=2)


@dataclass(frozen=True)
class TLSFiles:
    """PEM files: the server's certificate (chain) and key, and the CA clients should trust."""

    certfile: Path
    keyfile: Path
    cafile: Path | None = None


def write_test_certificates(folder: str | Path, hosts: tuple[str, ...] = TEST_HOSTS) -> TLSFiles:
    """Write a throwaway CA and a server certificate for ``hosts`` signed by it, into ``folder``.

    ``ca.pem`` is the bundle a client passes as ``verify=``; ``server.pem`` and
    ``server-key.pem`` go to the emulator. Valid from a day ago for two days.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        _builder(CA_NAME, CA_NAME, ca_key, start)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        _builder(hosts[0], CA_NAME, server_key, start)
        .add_extension(x509.SubjectAlternativeName([_general_name(host) for host in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = TLSFiles(folder / "server.pem", folder / "server-key.pem", folder / "ca.pem")
    pem = serialization.Encoding.PEM
    files.certfile.write_bytes(server_cert.public_bytes(pem))
    files.keyfile.write_bytes(
        server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (folder / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    return files


def _builder(
    subject: str, issuer: str, key: ec.EllipticCurvePrivateKey, start: datetime.datetime
) -> x509.CertificateBuilder:
    """A certificate for ``key``, named ``subject``, valid from ``start`` for ``VALIDITY``."""
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _general_name(host: str) -> x509.GeneralName:
    """A DNS name, or an IP address for a host written as one."""
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
