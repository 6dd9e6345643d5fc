"""Scale-out: two app servers on one PostgreSQL and one Redis, set up as the README's "Beyond one machine" says.

Each "server" is a machine of its own: its own ``PELUIT_VAR_DIR``, gunicorn started from ``config/gunicorn.py``
with ``PELUIT_BIND``, nginx in front from ``deploy/nginx.conf`` (TLS, ``PELUIT_BEHIND_PROXY=1``,
``PELUIT_TRUSTED_PROXIES=1``) and a Celery worker, server A's on the ``default`` queue and server B's on the
``reports`` queue. They share the database, the Redis (broker on db 0, throttle on db 1), the media folder and
the secrets (``PELUIT_SECRET_KEY``, ``PELUIT_PEPPER``, ``PELUIT_CHECKPOINT_KEY``, the signing PKCS#12). Real HTTP
clients (requests) prove that:

1. a supervisor logs in (password, then a real TOTP code) on A and reads a case's decrypted content on B;
2. the per-address throttle counts requests to both servers together;
3. a report submitted to A is followed up on B with its receipt, and the officer on A reads the reporter's message;
4. each Celery worker executes a task of its queue (an auditor's signed recap export through ``reports``, an
   audit checkpoint through ``default``), and both servers serve the same checkpoint, signed with the same key.

One test starts the whole cluster once (two gunicorns, two nginx, two Celery workers, a Redis) and proves the
four points in turn; each proof is a function below.

It needs a database server both app servers reach, so it runs when ``DATABASE_URL`` is PostgreSQL (CI's second
run) and is skipped on SQLite. Redis is a private ``redis-server`` on a free port, so nothing else shares it.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from celery import Celery
from django_otp.oath import TOTP
from requests.adapters import HTTPAdapter

from tests.intake.conftest import wbs_post
from tests.reliability.canaries import scratch_postgres_database
from tests.support.servers import (
    ROOT,
    Server,
    Site,
    manage,
    run_gunicorn,
    run_nginx,
    run_redis,
    scratch_site,
    self_signed_certificate,
    site_env,
    stop,
)

DATABASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgres"),
    reason="two app servers need a database server they share: run with DATABASE_URL=postgres://... "
    "(CI's PostgreSQL run does); SQLite is one machine's file",
)

SEARCH_PATH = f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/bin"  # nginx lives in /usr/sbin
WAIT = 60.0  # every wait for a server, a worker or a task is bounded by this
LIMIT = 12  # PELUIT_THROTTLE_PER_ADDRESS: requests to reporter paths per address and minute, both servers together
PASSWORD = "correct horse battery staple"
YEAR = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
EVIDENCE = b"Kuitansi pungutan: Rp150.000, penanda-berkas-5d1e\n"


@dataclass(frozen=True)
class Machine:
    """One app server: gunicorn, the nginx in front of it (its public URL) and its Celery worker's log."""

    name: str
    app: Server
    front: Server
    worker_log: Path

    @property
    def url(self) -> str:
        """The server's public (https) address."""
        return self.front.url


class FromAddress(HTTPAdapter):
    """Connect from a given loopback address, so nginx (and so the throttle) sees another client."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]


def csrf_token(page: requests.Response) -> str:
    """The CSRF token of the first form of ``page``."""
    assert page.status_code == 200, (page.status_code, page.text[:300])
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, page.text[:300]
    return match.group(1)


def post_form(session: requests.Session, url: str, data: dict[str, str], *, form_url: str = "") -> requests.Response:
    """Fetch the page holding the form (``form_url``, default ``url``), then send the form as a browser does."""
    token = csrf_token(session.get(form_url or url, timeout=WAIT))
    origin = re.match(r"https://[^/]+", url)
    assert origin
    return session.post(
        url, data={**data, "csrfmiddlewaretoken": token}, headers={"Origin": origin.group(0)}, timeout=WAIT
    )


def totp_now(secret_base32: str) -> str:
    """The TOTP code an authenticator app shows for ``secret_base32`` now (30 s steps, 6 digits)."""
    totp = TOTP(base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8)), step=30, digits=6)
    return f"{totp.token():06d}"


@contextmanager
def celery_worker(site: Site, queue: str) -> Iterator[Path]:
    """Run ``celery -A config worker -Q queue`` for ``site``; yield its log once it is ready."""
    log = site.folder / f"celery-{queue}.log"
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue]
    command += ["--hostname", f"{queue}@%h", "--concurrency", "1", "--loglevel", "info"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=site.env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: " ready." in log.read_text(errors="replace"), f"the {queue} worker to start", process)
        yield log
    finally:
        stop(process)


def wait_until(condition: Callable[[], bool], what: str, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``condition`` until it is true, for at most ``WAIT`` seconds (and while ``process`` runs)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode} while waiting for {what}")
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {WAIT:.0f} s for {what}")


@contextmanager
def cluster(root: Path) -> Iterator[Cluster]:
    """Two machines on one PostgreSQL and one Redis, with a supervisor and an auditor who have authenticators."""
    with ExitStack() as stack:
        database = stack.enter_context(scratch_postgres_database("peluit_scaleout", beside=DATABASE_URL))
        redis = stack.enter_context(run_redis(root / "redis")).rsplit("/", 1)[0]
        (root / "shared-media").mkdir()
        shared = {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database,
            "CELERY_BROKER_URL": f"{redis}/0",
            "PELUIT_THROTTLE_URL": f"{redis}/1",
            "PELUIT_MEDIA_ROOT": str(root / "shared-media"),
            "PELUIT_SECRET_KEY": "scale-out-secret-key-" + "s" * 40,
            "PELUIT_PEPPER": "scale-out-pepper",
            "PELUIT_CHECKPOINT_KEY": "scale-out-checkpoint-key-" + "c" * 40,
            "PELUIT_SIGNING_P12": str(root / "institution.p12"),
            "PELUIT_SIGNING_P12_PASSWORD": "scale-out-p12",
            "PELUIT_BEHIND_PROXY": "1",
            "PELUIT_TRUSTED_PROXIES": "1",
            "PELUIT_ALLOWED_HOSTS": "127.0.0.1",
            # nginx passes the Host with its port, so Django's own origin check suffices for the test's fronts,
            # whose ports are chosen only when they start; production names its https origin here.
            "PELUIT_CSRF_TRUSTED_ORIGINS": "https://127.0.0.1",
            "PELUIT_INSECURE_HTTP": "",
            "PELUIT_THROTTLE_PER_ADDRESS": str(LIMIT),
        }
        # Machine A migrates the shared database (`manage.py migrate`, once per release) and creates the
        # escrow-holding supervisor; its local test CA becomes the institution's PKCS#12 every machine uses;
        # each machine collects its static files. Independent steps run at once (each is a Django start-up).
        env_a, env_b = site_env(root / "a", **shared), site_env(root / "b", **shared)
        with ThreadPoolExecutor(max_workers=4) as pool:
            migrated = pool.submit(scratch_site, root / "a", **shared)
            side_steps = [
                pool.submit(
                    manage,
                    {**env_a, "PELUIT_SIGNING_P12": ""},
                    "signing_test_ca",
                    "--p12",
                    shared["PELUIT_SIGNING_P12"],
                ),
                *(pool.submit(manage, env, "collectstatic", "--no-input", "-v", "0") for env in (env_a, env_b)),
            ]
            site_a = migrated.result()
            staff = {
                username: pool.submit(
                    manage, {**env_a, "PELUIT_PASSWORD": PASSWORD}, "add_staff", username, "--role", role
                )
                for username, role in (("pengawas", "supervisor"), ("pemeriksa", "auditor"))
            }
            for step in side_steps:
                step.result()
            secrets = {}
            for username, made in staff.items():
                found = re.search(r"Secret: ([A-Z2-7]+)", made.result())
                assert found, made.result()
                secrets[username] = found.group(1)
        site_b = Site(env=env_b, folder=root / "b")
        # The site's one certificate, on both fronts.
        certificate = self_signed_certificate(root / "tls")
        machines = []
        for name, site, queue in (("A", site_a, "default"), ("B", site_b, "reports")):
            app = stack.enter_context(run_gunicorn(site, workers=1, threads=4, by_environment=True))
            front = stack.enter_context(run_nginx(app, site.folder / "nginx", certificate=certificate))
            worker_log = stack.enter_context(celery_worker(site, queue))
            machines.append(Machine(name=name, app=app, front=front, worker_log=worker_log))
        yield Cluster(
            a=machines[0],
            b=machines[1],
            certificate=certificate / "cert.pem",
            secrets=secrets,
            sites={"A": site_a, "B": site_b},
            database=database,
            broker=shared["CELERY_BROKER_URL"],
        )


@dataclass(frozen=True)
class Cluster:
    """The two machines and what the test needs to reach the shared services."""

    a: Machine
    b: Machine
    certificate: Path  # the fronts' certificate
    secrets: dict[str, str]  # TOTP secret by username
    sites: dict[str, Site]  # each machine's environment, by name
    database: str
    broker: str

    def client(self, source: str = "127.0.0.1") -> requests.Session:
        """A browser-like client (one cookie jar for both servers), connecting from the address ``source``."""
        session = requests.Session()
        session.mount("https://", FromAddress(source))
        session.trust_env = False  # else REQUESTS_CA_BUNDLE would replace the certificate below
        session.verify = str(self.certificate)
        return session

    def login(self, machine: Machine, username: str) -> requests.Session:
        """Log ``username`` in on ``machine``: password, then the TOTP code their authenticator shows now."""
        staff = self.client()
        step_one = post_form(staff, f"{machine.url}/auth/login/", {"username": username, "password": PASSWORD})
        assert step_one.url.endswith("/auth/verify/"), (step_one.status_code, step_one.url)
        step_two = post_form(staff, f"{machine.url}/auth/verify/", {"code": totp_now(self.secrets[username])})
        assert step_two.status_code == 200 and "/console/" in step_two.url, (step_two.status_code, step_two.url)
        return staff


def test_two_app_servers_on_one_postgresql_and_one_redis(tmp_path: Path) -> None:
    if os.environ.get("CI"):
        # In CI the helpers' "not installed" skips would hide this test; bin/bootstrap installs all three.
        missing = [tool for tool in ("redis-server", "nginx", "pdfsig") if not shutil.which(tool, path=SEARCH_PATH)]
        assert not missing, f"CI must run the scale-out test: {missing} not installed"
    with cluster(tmp_path) as machines:
        number, content, message = report_on_a_followed_up_on_b(machines)
        supervisor_on_a_reads_on_b(machines, number, content, message)
        throttle_counts_both_servers(machines)
        each_worker_runs_its_queue(machines)
        for machine in (machines.a, machines.b):
            log = machine.app.log_text()
            assert "Traceback" not in log and " 500 " not in log, log[-3000:]


def report_on_a_followed_up_on_b(machines: Cluster) -> tuple[str, str, str]:
    """The reporter submits on A, then on B opens the inbox with the receipt and sends a message."""
    a, b = machines.a, machines.b
    reporter = machines.client()
    content = "Petugas-meminta-uang-tambahan-penanda-isi-7f3a"
    token = csrf_token(reporter.get(f"{a.url}/report/wbs/", timeout=WAIT))
    submitted = reporter.post(
        f"{a.url}/report/wbs/",
        data={**wbs_post(what=f"{content} untuk surat domisili."), "csrfmiddlewaretoken": token},
        files={"attachments": ("bukti.txt", EVIDENCE, "text/plain")},
        headers={"Origin": a.url},
        timeout=WAIT,
    )
    assert submitted.status_code == 200, submitted.text[:500]
    receipt = re.search(r'class="receipt-code"[^>]*><code>([0-9 -]+)</code>', submitted.text)
    number = re.search(r"(WBS-\d{4}-\d{6})", submitted.text)
    assert receipt and number, submitted.text[:1000]

    opened = post_form(reporter, f"{b.url}/follow/", {"receipt": receipt.group(1)})
    assert opened.status_code == 200 and opened.url.endswith("/follow/inbox/"), (opened.status_code, opened.url)
    assert number.group(1) in opened.text
    message = "Saya-punya-bukti-kuitansi-penanda-pesan-91c2"
    sent = post_form(reporter, f"{b.url}/follow/reply/", {"body": message}, form_url=f"{b.url}/follow/inbox/")
    assert sent.status_code == 200 and message in sent.text, sent.text[:500]
    return number.group(1), content, message


def supervisor_on_a_reads_on_b(machines: Cluster, number: str, content: str, message: str) -> None:
    """Logged in on A, the supervisor reads the case on B (session and key cookie work there) and on A."""
    a, b = machines.a, machines.b
    staff = machines.login(a, "pengawas")
    case_on_b = staff.get(f"{b.url}/console/cases/{number}/", timeout=WAIT)
    assert case_on_b.status_code == 200 and case_on_b.url.endswith(f"/cases/{number}/"), case_on_b.url
    assert content in case_on_b.text, "the sealed content is shown decrypted on B"
    # On A, the officer sees the message the reporter sent through B.
    case_on_a = staff.get(f"{a.url}/console/cases/{number}/", timeout=WAIT)
    assert case_on_a.status_code == 200 and message in case_on_a.text and content in case_on_a.text
    # The file sent to A was encrypted into the shared media folder; B decrypts it for the officer.
    link = re.search(rf"/console/cases/{number}/files/[0-9a-f-]+/", case_on_b.text)
    assert link, "the case page lists the reporter's file"
    evidence = staff.get(f"{b.url}{link.group(0)}", timeout=WAIT)
    assert evidence.status_code == 200 and evidence.content == EVIDENCE
    # Without the session's cookies B knows nobody: it was the shared session that opened the case.
    stranger = machines.client().get(f"{b.url}/console/cases/{number}/", timeout=WAIT)
    assert "/auth/login/" in stranger.url and content not in stranger.text


def throttle_counts_both_servers(machines: Cluster) -> None:
    """One address gets LIMIT requests in a minute on A and B together; another address is counted apart."""
    a, b = machines.a, machines.b
    flooder, other = machines.client("127.0.0.2"), machines.client("127.0.0.3")
    statuses = [
        flooder.post(f"{(a, b)[n % 2].url}/api/v1/reports/wbs", data=wbs_post(), timeout=WAIT).status_code
        for n in range(LIMIT)
    ]
    assert statuses == [201] * LIMIT, statuses
    past = [flooder.post(f"{m.url}/api/v1/reports/wbs", data=wbs_post(), timeout=WAIT) for m in (a, b)]
    assert [r.status_code for r in past] == [429, 429], "past N requests on A and B together, both refuse"
    assert all(r.headers["Content-Type"] == "application/json" and r.json()["detail"] for r in past)
    assert other.post(f"{b.url}/api/v1/reports/wbs", data=wbs_post(), timeout=WAIT).status_code == 201


def each_worker_runs_its_queue(machines: Cluster) -> None:
    """B's worker (queue ``reports``) makes a signed recap; A's worker (queue ``default``) signs a checkpoint."""
    a, b = machines.a, machines.b
    # The reports queue: the auditor asks B for a signed recap and downloads it from A.
    auditor = machines.login(b, "pemeriksa")
    asked = post_form(auditor, f"{b.url}/console/reports/request/recap/", YEAR, form_url=f"{b.url}/console/reports/")
    assert asked.status_code == 200 and "/console/reports/exports/" in asked.url, (asked.status_code, asked.url)
    wait_until(lambda: 'id="download"' in auditor.get(asked.url, timeout=WAIT).text, "the recap export")
    pdf = auditor.get(asked.url.replace(b.url, a.url).rstrip("/") + "/pdf/", timeout=WAIT)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.status_code
    saved = b.app.log.parent / "recap.pdf"
    saved.write_bytes(pdf.content)
    checked = subprocess.run(["pdfsig", str(saved)], capture_output=True, text=True, timeout=60, check=False)
    assert "Signature is Valid" in checked.stdout, checked.stdout + checked.stderr
    assert re.search(r"Task reports\.tasks\.generate_export\[[^]]+\] succeeded", b.worker_log.read_text())

    # The default queue: the audit checkpoint task, sent by name as Celery beat does every 10 minutes. A fresh
    # report first, so the log has grown since any checkpoint the export made.
    submitted = machines.client("127.0.0.4").post(f"{a.url}/api/v1/reports/wbs", data=wbs_post(), timeout=WAIT)
    assert submitted.status_code == 201
    with psycopg.connect(machines.database) as db:
        before = db.execute("SELECT count(*) FROM audit_auditcheckpoint").fetchone()
        events = db.execute("SELECT count(*) FROM audit_auditevent").fetchone()
    assert before is not None and events is not None
    sender = Celery("scale-out-test")
    # An explicit connection: Celery prefers the environment's CELERY_BROKER_URL to a broker given to the app.
    with sender.connection_for_write(machines.broker) as connection:
        sender.send_task("audit.tasks.checkpoint_if_grown", queue="default", connection=connection)

    def signed() -> bool:
        with psycopg.connect(machines.database) as db:
            row = db.execute("SELECT count(*), max(tree_size) FROM audit_auditcheckpoint").fetchone()
        return row is not None and row[0] == before[0] + 1 and row[1] >= events[0]

    wait_until(signed, "the checkpoint task")
    assert re.search(r"Task audit\.tasks\.checkpoint_if_grown\[[^]]+\] succeeded", a.worker_log.read_text())
    # Both servers serve the same published checkpoint (none outside an hour's first minutes, when no
    # checkpoint opened the hour yet: audit/publication.py), and machine B verifies the whole log with its
    # checkpoints (signed on A by the worker, and by B's worker for the export) with its own copy of the key.
    served = [machines.client().get(f"{m.url}/audit/checkpoint", timeout=WAIT) for m in (a, b)]
    assert served[0].status_code == served[1].status_code and served[0].status_code in (200, 404)
    assert served[0].text == served[1].text
    verified = manage(machines.sites["B"].env, "audit_verify")
    assert re.match(r"OK: \d+ events, [1-9]\d* checkpoints verified", verified), verified
