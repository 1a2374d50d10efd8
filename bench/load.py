"""Load test: gunicorn on loopback, N concurrent clients for a bounded time; requests/s and latency percentiles.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mbc_load REDIS_URL=redis://127.0.0.1:6379/6 CELERY_QUEUE=mbc_load \\
        .venv/bin/python bench/load.py [--clients 50] [--seconds 30] [--port 8106] [--gunicorn-workers 4]

Seeds (once) a clinician with `--patients` patients, each with a phase and a few scores, and one self-report link per
expected page submission; starts gunicorn with production-like settings (DEBUG off) on 127.0.0.1:PORT; then each
client repeats a mix of requests until the time is up: an assessment submission through the API (token auth), a
patient's submission through the self-report page (GET the form, POST it, as a phone does), and a caseload view
(session). Prints, per kind and in all: requests, requests/s, p50, p95, p99 (ms) and errors (any status other than
the expected one, or a connection failure). The broker is Redis when REDIS_URL is set (each submission queues its
evaluation, as in production; no worker drains it during the run; the queue is emptied afterwards). Figures only: run
by hand, never in CI (DESIGN §1, bench/). Target on a 2-core machine: 200 submissions/s, p95 under 100 ms, no errors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-password-long-enough-42"
USERNAME = "loadtest"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CLIENT_ID_FIELD = re.compile(r'name="client_id" value="([^"]+)"')
MIX = (("api_submission", 4), ("page_submission", 2), ("caseload", 1))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8106")))
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread when > 1)")
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--links", type=int, default=6000, help="self-report links to seed (one per page submission)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        parser.error("set DATABASE_URL to a PostgreSQL database of your own (e.g. mbc_load): it is seeded and written.")
    return args


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mbc.settings")
    os.environ["DEBUG"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(patients: int, links: int) -> tuple[list[int], list[str]]:
    """The clinician, their patients (with a phase and two scores) and fresh self-report links; idempotent."""
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from patients.models import Patient
    from patients.services import create_clinician, create_patient
    from reassessment import services
    from reassessment.models import SelfReportLink

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=USERNAME).first()
    if user is None:
        user = create_clinician(username=USERNAME, password=PASSWORD, role="prescriber")
    today = timezone.localdate()
    existing = list(Patient.objects.filter(external_id__startswith="LOAD-").order_by("id").values_list("id", flat=True))
    for n in range(len(existing), patients):
        patient = create_patient(created_by=user, external_id=f"LOAD-{n:05d}", display_name=f"Load Patient {n:05d}",
                                 email=f"load{n}@example.test")
        services.change_phase(patient=patient, by=user, modality=("medication", "psychotherapy", "combined")[n % 3],
                              stage="acute", started_on=today - timedelta(days=30 + n % 40))
        for back, total in ((32 + n % 40, 16), (3, 11)):
            services.submit_assessment(patient=patient, instrument="phq9", items=[min(3, max(0, total - 3 * i))
                                       for i in range(8)] + [0], administered_at=today - timedelta(days=back),
                                       source="clinician", entered_by=user)
        existing.append(patient.id)
    SelfReportLink.objects.filter(patient_id__in=existing).update(expires_at=timezone.now())  # used ones, old ones
    tokens = []
    for k in range(links):
        patient = Patient(id=existing[k % len(existing)], primary_instrument="phq9")
        tokens.append(services.issue_link(patient=patient)[1])
    return existing, tokens


class Client(threading.Thread):
    def __init__(self, port: int, token: str, session: str, patients: list[int], links: list[str],
                 lock: threading.Lock, stop_at: float, seed_value: int) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.session, self.patients = port, token, session, patients
        self.links, self.lock, self.stop_at = links, lock, stop_at
        self.rng = random.Random(seed_value)
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""  # the phone's CSRF cookie, sent with the form's GET and its POST

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, http.client.HTTPResponse]:
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                return response.status, response.read(), response
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def timed(self, kind: str, expected: tuple[int, ...], method: str, path: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> bytes | None:
        began = time.perf_counter()
        try:
            status, content, _ = self.request(method, path, body, headers)
        except (http.client.HTTPException, OSError) as exc:
            self.errors[kind] += 1
            self.error_samples.append(f"{kind}: {type(exc).__name__}")
            return None
        self.times[kind].append((time.perf_counter() - began) * 1000)
        if status not in expected:
            self.errors[kind] += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{kind}: HTTP {status} {content[:120]!r}")
            return None
        return content

    def api_submission(self) -> None:
        items = [self.rng.randint(0, 3) for _ in range(8)] + [0]
        body = json.dumps({"patient": self.rng.choice(self.patients), "instrument": "phq9", "items": items,
                           "administered_at": time.strftime("%Y-%m-%d")}).encode()
        self.timed("api_submission", (201,), "POST", "/api/v1/assessments/", body,
                   {"Authorization": f"Token {self.token}", "Content-Type": "application/json"})

    def page_submission(self) -> None:
        with self.lock:
            if not self.links:
                return
            token = self.links.pop()
        # Each phone its own address, as a clinic's reverse proxy reports it (gunicorn runs with
        # MBC_TRUSTED_PROXIES=1): the per-address throttle of the self-report pages is not what is measured.
        phone = f"10.{self.rng.randint(0, 255)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
        form = self.timed("page_form", (200,), "GET", f"/r/{token}/",
                          headers={"Cookie": self.cookie, "X-Forwarded-For": phone})
        if form is None:
            return
        text = form.decode()
        csrf, client_id = CSRF_FIELD.search(text), CLIENT_ID_FIELD.search(text)
        if csrf is None or client_id is None:
            self.errors["page_form"] += 1
            return
        fields = {f"item_{i}": str(self.rng.randint(0, 3)) for i in range(1, 9)} | {"item_9": "0"}
        fields |= {"csrfmiddlewaretoken": csrf.group(1), "client_id": client_id.group(1), "difficulty": ""}
        self.timed("page_submission", (200, 302, 303), "POST", f"/r/{token}/", urllib.parse.urlencode(fields).encode(),
                   {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie,
                    "Referer": f"http://127.0.0.1:{self.port}/r/{token}/", "X-Forwarded-For": phone})

    def caseload(self) -> None:
        page = self.rng.randint(1, 3)
        self.timed("caseload", (200,), "GET", f"/?page={page}", headers={"Cookie": f"sessionid={self.session}"})

    def run(self) -> None:
        kinds = [k for k, w in MIX for _ in range(w)]
        while time.monotonic() < self.stop_at:
            getattr(self, self.rng.choice(kinds))()


def csrf_cookie(port: int) -> str:
    """A browser's CSRF cookie, from the sign-in page."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    response.read()
    cookies = [v for k, v in response.getheaders() if k.lower() == "set-cookie"]
    return "; ".join(c.split(";", 1)[0] for c in cookies)


def login(port: int) -> tuple[str, str]:
    """An API token (POST /api/v1/auth/token/) and a session id (the sign-in page)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/api/v1/auth/token/", json.dumps({"username": USERNAME, "password": PASSWORD}),
                 {"Content-Type": "application/json"})
    response = conn.getresponse()
    token = json.loads(response.read())["token"]
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = "; ".join(v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie")
    csrf = CSRF_FIELD.search(page)
    assert csrf is not None, "no CSRF field on the sign-in page"
    body = urllib.parse.urlencode({"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": csrf.group(1)})
    conn.request("POST", "/accounts/login/", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                    "Cookie": cookie,
                                                    "Referer": f"http://127.0.0.1:{port}/accounts/login/"})
    response = conn.getresponse()
    response.read()
    session = next((v.split(";", 1)[0].split("=", 1)[1] for k, v in response.getheaders()
                    if k.lower() == "set-cookie" and v.startswith("sessionid=")), "")
    assert session, f"sign-in failed (HTTP {response.status})"
    return token, session


def wait_for(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer on port {port} within {seconds:.0f} s")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    args = parse_args()
    setup_django()
    began = time.perf_counter()
    patients, links = seed(args.patients, args.links)
    print(f"seeded/reused {len(patients)} patients and {len(links)} fresh self-report links "
          f"in {time.perf_counter() - began:.1f} s")
    from django.db import connections

    connections.close_all()
    env = dict(os.environ, DEBUG="false", DJANGO_SETTINGS_MODULE="mbc.settings", MBC_TRUSTED_PROXIES="1")
    worker_class = ["--worker-class", "gthread", "--threads", str(args.threads)] if args.threads > 1 else []
    log = open(ROOT / "var" / "load-gunicorn.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "mbc.wsgi", "--bind", f"127.0.0.1:{args.port}",
         "--workers", str(args.gunicorn_workers), *worker_class, "--timeout", "60", "--backlog", "2048"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_for(args.port)
        token, session = login(args.port)
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds
        clients = [Client(args.port, token, session, patients, links, lock, stop_at, n) for n in range(args.clients)]
        for c in clients:
            c.cookie = csrf_cookie(args.port)
        started = time.perf_counter()
        for c in clients:
            c.start()
        for c in clients:
            c.join(args.seconds + 60)
        elapsed = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    samples: list[str] = []
    for c in clients:
        for kind, values in c.times.items():
            times[kind].extend(values)
        for kind, n in c.errors.items():
            errors[kind] += n
        samples.extend(c.error_samples)
    print(f"{args.clients} clients for {elapsed:.1f} s against gunicorn ({args.gunicorn_workers} workers"
          f"{f' x {args.threads} threads' if args.threads > 1 else ''}) on 127.0.0.1:{args.port}")
    print(f"{'kind':<18}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    everything: list[float] = []
    for kind in ("api_submission", "page_form", "page_submission", "caseload"):
        values = times.get(kind, [])
        everything += values
        if not values:
            continue
        print(f"{kind:<18}{len(values):>9}{len(values) / elapsed:>9.1f}{statistics.median(values):>9.1f}"
              f"{percentile(values, 95):>9.1f}{percentile(values, 99):>9.1f}{errors.get(kind, 0):>8}")
    submissions = len(times.get("api_submission", [])) + len(times.get("page_submission", []))
    print(f"{'all':<18}{len(everything):>9}{len(everything) / elapsed:>9.1f}{statistics.median(everything):>9.1f}"
          f"{percentile(everything, 95):>9.1f}{percentile(everything, 99):>9.1f}{sum(errors.values()):>8}")
    print(f"submissions (API + page): {submissions / elapsed:.1f}/s; target 200/s, p95 < 100 ms, 0 errors")
    for line in samples[:5]:
        print("  error sample:", line)
    if os.environ.get("REDIS_URL"):
        import redis

        queue = os.environ.get("CELERY_QUEUE", "mbc")
        left = redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)
        print(f"emptied the broker queue {queue!r} ({left} key) of the evaluations the run queued")
    return 0


if __name__ == "__main__":
    sys.exit(main())
