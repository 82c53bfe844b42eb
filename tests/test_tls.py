"""Remote tracking over real TLS: a TLS-terminating proxy (our own CA) in front of the
session's MLflow server, as a load balancer in front of a team's server would be."""

from __future__ import annotations

import datetime
import ipaddress
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_proxy import FaultProxy
from mlflow_server import MlflowServer

import tracklib
from tracklib.errors import TracklibError
from tracklib.remote import spool

pytest_plugins = ["conftest_server"]
x509 = pytest.importorskip("cryptography.x509")  # MLflow depends on cryptography
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

_TLS_VARS = (
    "TRACKLIB_TRACKING_SERVER_CERT_PATH",
    "MLFLOW_TRACKING_SERVER_CERT_PATH",
    "TRACKLIB_TRACKING_INSECURE_TLS",
    "MLFLOW_TRACKING_INSECURE_TLS",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
)


def _certificate(subject: str, key: Any, issuer: Any, issuer_key: Any, ca: bool) -> Any:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A CA certificate, and a certificate and key for 127.0.0.1 that the CA signed."""
    folder = tmp_path_factory.mktemp("tls")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tracklib test CA")])
    ca = _certificate("tracklib test CA", ca_key, ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    server = _certificate("127.0.0.1", key, ca_name, ca_key, ca=False)
    paths = {name: str(folder / f"{name}.pem") for name in ("ca", "cert", "key")}
    Path(paths["ca"]).write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    Path(paths["cert"]).write_bytes(server.public_bytes(serialization.Encoding.PEM))
    Path(paths["key"]).write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture
def https(
    mlflow_server: MlflowServer,
    tls_files: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FaultProxy]:
    """An HTTPS front for the session's server; the environment trusts no extra CA."""
    for name in _TLS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(spool.SPOOL_DIR_VAR, str(tmp_path / "spool"))
    with FaultProxy(mlflow_server.url, tls=(tls_files["cert"], tls_files["key"])) as proxy:
        yield proxy


def test_a_run_reaches_the_server_over_verified_tls(
    https: FaultProxy,
    mlflow_server: MlflowServer,
    tls_files: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRACKLIB_TRACKING_SERVER_CERT_PATH", tls_files["ca"])
    tracklib.set_tracking_uri(https.url)
    experiment = f"tls-{uuid.uuid4().hex[:8]}"
    with tracklib.start_run(experiment=experiment) as run:
        tracklib.log_param("cipher", "yes")
        for step in range(3):
            tracklib.log_metric("loss", 1.0 / (step + 1), step=step)
    from mlflow import MlflowClient

    reference = MlflowClient(tracking_uri=mlflow_server.url)  # straight to the server
    found = reference.search_runs([reference.get_experiment_by_name(experiment).experiment_id])
    assert [r.info.run_id for r in found] == [run.info.run_id]
    assert found[0].data.params == {"cipher": "yes"}
    assert found[0].info.status == "FINISHED"
    history = reference.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 0.5), (2, 1.0 / 3)]
    assert https.forwarded() > 0  # it all went through the TLS front


def test_an_untrusted_certificate_is_a_clear_error(https: FaultProxy) -> None:
    with pytest.raises(TracklibError) as caught:
        tracklib.Client(https.url).search_experiments()
    message = str(caught.value)
    assert "TLS" in message and "TRACKLIB_TRACKING_SERVER_CERT_PATH" in message
    assert "CERTIFICATE_VERIFY_FAILED" in message
    assert https.forwarded() == 0  # the handshake failed: nothing reached the server


def test_insecure_mode_skips_verification(
    https: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKLIB_TRACKING_INSECURE_TLS", "true")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # urllib3 warns about unverified HTTPS, as it should
        names = [e.name for e in tracklib.Client(https.url).search_experiments()]
    assert "Default" in names
    assert https.forwarded() > 0


def test_start_run_under_an_untrusted_certificate_raises_like_a_bad_login(
    https: FaultProxy,
) -> None:
    """A certificate the client cannot verify is set-up to fix, not an outage to ride out."""
    tracklib.set_tracking_uri(https.url)
    with pytest.raises(TracklibError, match="TRACKLIB_TRACKING_SERVER_CERT_PATH"):
        tracklib.start_run(experiment="tls-refused")
    assert tracklib.active_run() is None
    assert https.forwarded() == 0
