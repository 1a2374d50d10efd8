"""Benchmark of the daily reassessment sweep on PostgreSQL: seeds N patients, times the sweep, compares a plain read.

    .venv/bin/python bench/sweep.py [--patients 100000] [--scores 10] [--database-url postgres://...]
                                    [--workers 1,2] [--redis-url redis://127.0.0.1:6379/6] [--queue mbc_scale]
                                    [--reuse] [--keep] [--batch-size N] [--profile] [--tracemalloc] [--next-day]

With --workers, each count W starts W real `celery worker` processes (one pool process each) on Redis and this
database, queues the beat's `reassessment.sweep` task (which plans the chunks and hands them to the workers as a
Celery group), and times it from the queueing to the run's last chunk; then the same again (the steady state: every
flag already raised). Without --workers (or with 0 in the list), the sweep runs in this process, as run_reassessment
does, with a time split per step.

Seeds N patients, each with one active treatment phase (a mix of modalities, stages and ages) and `--scores` PHQ-9
scores, with COPY; times `reassessment.services.sweep(today=...)`; then times one plain SQL pass that reads the same
rows (active phases joined to their patients, and those patients' assessments) through server-side cursors, and
prints the ratio. Figures only: run by hand, never in CI as a timed assertion (DESIGN §1, bench/).

The database (default mbc_bench) is created when missing and dropped at the end unless --keep; --reuse skips seeding
when the data of an earlier --keep run is there. Flags, reminders and links of earlier runs are cleared before the
timed sweep, so every run measures the same work: the first sweep of the day.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mbc_bench"
# The clinic's today (the workers' sweep and the stored statuses are as of the real day); the seed is relative to it,
# so every run seeds the same shape of data.
TODAY = date.today()
PREFIX = "BENCH-"
SEED = 20260312

# PHQ-9 bands (Kroenke 2001), to store a severity consistent with the total as the real service would.
PHQ9_BANDS = ((4, "minimal"), (9, "mild"), (14, "moderate"), (19, "moderately_severe"), (27, "severe"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000, help="patients to seed (default 100000)")
    parser.add_argument("--scores", type=int, default=10, help="PHQ-9 scores per patient (default 10)")
    parser.add_argument("--database-url", default=os.environ.get("MBC_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--workers", default="0", help="comma-separated worker counts, e.g. 1,2 (0: in process)")
    parser.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/6"))
    parser.add_argument("--queue", default=os.environ.get("CELERY_QUEUE", "mbc_bench"))
    parser.add_argument("--reuse", action="store_true", help="skip seeding when the seeded data is already there")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (for --reuse)")
    parser.add_argument("--batch-size", type=int, default=None, help="sweep batch size (default: the service's)")
    parser.add_argument("--profile", action="store_true", help="run the timed sweep under cProfile; print the top")
    parser.add_argument("--next-day", action="store_true",
                        help="in process: also time tomorrow's sweep (the daily case), after the steady state")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="after the timed sweep, sweep again under tracemalloc (untimed)"
    )
    args = parser.parse_args()
    if args.patients < 1 or args.scores < 1:
        parser.error("--patients and --scores must be at least 1.")
    try:
        args.worker_counts = [int(w) for w in args.workers.split(",")]
    except ValueError:
        parser.error("--workers must be comma-separated whole numbers, e.g. 1,2.")
    if any(w < 0 or w > 16 for w in args.worker_counts):
        parser.error("--workers counts must be between 0 and 16.")
    if urlparse(args.database_url).scheme not in ("postgres", "postgresql"):
        parser.error("--database-url must be a postgres:// URL: the benchmark is for PostgreSQL.")
    return args


# --- the database ---------------------------------------------------------------------------------------------------


def admin_url(url: str) -> tuple[str, str]:
    """The URL of the server's `postgres` database, and the name of the benchmark database."""
    parts = urlparse(url)
    name = parts.path.lstrip("/") or "mbc_bench"
    return urlunparse(parts._replace(path="/postgres", scheme="postgresql")), name


def create_database(url: str) -> bool:
    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def drop_database(url: str) -> None:
    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def setup_django(url: str, broker: str = "memory://", queue: str = "mbc_bench") -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "mbc.settings"
    os.environ["DATABASE_URL"] = url
    # Production runs with DEBUG off; with it on, Django keeps every query's SQL in memory and times each one.
    os.environ["DEBUG"] = "false"
    os.environ["CELERY_BROKER_URL"] = broker
    os.environ["CELERY_QUEUE"] = queue
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- seeding --------------------------------------------------------------------------------------------------------


def severity(total: int) -> str:
    return next(name for top, name in PHQ9_BANDS if total <= top)


def items_for(total: int, item9: int) -> str:
    """PHQ-9 answers as stored (a JSON list) adding up to total, item 9 answered item9."""
    rest = total - item9
    items = [min(3, max(0, rest - 3 * i)) for i in range(8)]
    return json.dumps([*items, item9])


def trajectory(rng: random.Random, n: int) -> list[int]:
    """n totals over a phase: responders, partial responders, worsening, relapse after remission, flat."""
    base = rng.randint(8, 24)
    kind = rng.choices(["response", "partial", "worsening", "relapse", "flat"], [35, 30, 10, 10, 15])[0]
    end = {
        "response": base * 0.3,
        "partial": base * 0.85,
        "worsening": base + 8,
        "relapse": 3,
        "flat": base,
    }[kind]
    totals = []
    for k in range(n):
        x = k / max(1, n - 1)
        value = base + (end - base) * x
        if kind == "relapse" and x > 0.75:
            value = 12
        totals.append(max(0, min(27, round(value + rng.uniform(-1.5, 1.5)))))
    return totals


def tsv(*fields: object) -> str:
    return "\t".join("\\N" if f is None else str(f) for f in fields) + "\n"


def seed(conn: psycopg.Connection[Any], n: int, scores: int) -> dict[str, int]:
    """COPY n patients, one active phase each, `scores` PHQ-9s each, and some medications. Returns row counts."""
    from instruments.models import Assessment
    from patients.models import Medication, Patient, TreatmentPhase

    rng = random.Random(SEED)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S+00")
    tables = {m: m._meta.db_table for m in (Patient, TreatmentPhase, Assessment, Medication)}
    counts = Counter[str]()

    def copy(model: Any, columns: list[str], rows: Iterator[str]) -> None:
        stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(tables[model]), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        )
        with conn.cursor() as cur, cur.copy(stmt) as out:
            chunk: list[str] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= 20_000:
                    out.write("".join(chunk))
                    counts[model.__name__] += len(chunk)
                    chunk = []
            out.write("".join(chunk))
            counts[model.__name__] += len(chunk)

    plan: list[tuple[int, date, list[date], list[int]]] = []

    def patients() -> Iterator[str]:
        for pid in range(1, n + 1):
            age = rng.choices([rng.randint(18, 24), rng.randint(25, 85)], [12, 88])[0]
            birth = TODAY - timedelta(days=age * 365 + rng.randint(0, 364))
            email = f"p{pid}@bench.test" if rng.random() < 0.9 else ""
            interval = rng.choice([28, 28, 28, 14, 42])
            yield tsv(pid, f"{PREFIX}{pid}", f"Bench patient {pid}", birth, "F33.1", email, "phq9", interval, "t", now,
                      "en", "none", "[]")

    def phases() -> Iterator[str]:
        for pid in range(1, n + 1):
            modality = rng.choice(["medication", "psychotherapy", "combined"])
            stage = rng.choices(["acute", "continuation", "maintenance"], [60, 25, 15])[0]
            started = TODAY - timedelta(days=rng.randint(0, 240))
            # Score days: one baseline in the 14 days before the start (most patients), the rest up to today.
            first = started - timedelta(days=rng.randint(0, 10) if rng.random() < 0.85 else rng.randint(20, 60))
            span = max(1, (TODAY - first).days)
            days = sorted({first, *(first + timedelta(days=rng.randint(1, span)) for _ in range(scores - 1))})
            while len(days) < scores:  # a phase too young for distinct days: earlier history fills in
                days.insert(0, days[0] - timedelta(days=rng.randint(1, 30)))
            plan.append((pid, started, days, trajectory(rng, scores)))
            yield tsv(pid, pid, modality, stage, "", started, None, "", None, now)

    def assessments() -> Iterator[str]:
        aid = 0
        for pid, _, days, totals in plan:
            for day, total in zip(days, totals, strict=True):
                aid += 1
                item9 = 1 if total >= 3 and rng.random() < 0.01 else 0
                yield tsv(
                    aid, pid, "phq9", "1", items_for(total, item9), None, total, severity(total),
                    f"{day} 12:00:00+00", day, "import", None, None, now, "",
                )

    def medications() -> Iterator[str]:
        mid = 0
        for pid, started, _, _ in plan:
            roll = rng.random()
            drugs = []
            if roll < 0.05:  # two serotonergic drugs at once: serotonin syndrome risk
                drugs = [("sertraline", "ssri", True, started), ("sumatriptan", "triptan", True, TODAY)]
            elif roll < 0.25:
                drugs = [("sertraline", "ssri", True, started), ("bupropion", "bupropion", False, started)]
            for name, cls, serotonergic, on in drugs:
                mid += 1
                yield tsv(mid, pid, name, cls, "t" if serotonergic else "f", "", on, None, None, now)

    def cols(model: Any, *names: str) -> list[str]:
        return [model._meta.get_field(name).column for name in names]

    copy(Patient, cols(Patient, "id", "external_id", "display_name", "birth_date", "diagnosis", "email",
                       "primary_instrument", "reminder_interval_days", "active", "created_at", "language",
                       "preference", "link_instruments"), patients())
    copy(TreatmentPhase, cols(TreatmentPhase, "id", "patient", "modality", "stage", "therapy", "started_on",
                              "ended_on", "notes", "created_by", "created_at"), phases())
    copy(Assessment, cols(Assessment, "id", "patient", "instrument", "instrument_version", "items", "difficulty",
                          "total", "severity", "administered_at", "administered_on", "source", "entered_by",
                          "client_id", "created_at", "entered_in_error_reason"), assessments())
    copy(Medication, cols(Medication, "id", "patient", "name", "drug_class", "serotonergic", "dose", "started_on",
                          "stopped_on", "created_by", "created_at"), medications())
    for model in tables:
        conn.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence({t}, 'id'), (SELECT max(id) FROM {i}))").format(
                t=sql.Literal(tables[model]), i=sql.Identifier(tables[model])
            )
        )
    return dict(counts)


def seeded(conn: psycopg.Connection[Any], n: int, scores: int) -> bool:
    from instruments.models import Assessment
    from patients.models import Patient

    def count(model: Any) -> int:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(model._meta.db_table))).fetchone()
        return int(row[0]) if row else 0

    return count(Patient) == n and count(Assessment) == n * scores


def clear(conn: psycopg.Connection[Any], everything: bool) -> None:
    """Empty what the sweep writes (and, for a new seed, the clinical record) in the benchmark database."""
    from django.apps import apps

    models = ["reassessment.SelfReportLink", "reassessment.Reminder", "reassessment.Flag",
              "reassessment.PatientStatus", "reassessment.SweepChunk", "reassessment.SweepRun"]
    if everything:
        models += ["patients.AuditEvent", "patients.CareTeamMember", "patients.Medication",
                   "instruments.Assessment", "patients.TreatmentPhase", "patients.Patient"]
    names = [sql.Identifier(apps.get_model(m)._meta.db_table) for m in models]
    conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(sql.SQL(", ").join(names)))


# --- measuring ------------------------------------------------------------------------------------------------------


class QueryCounter:
    """A Django execute wrapper: counts the queries and the time spent in execute (the database's share)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.by_table: Counter[str] = Counter()

    def __call__(self, execute: Callable[..., Any], sql_text: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        began = time.perf_counter()
        try:
            return execute(sql_text, params, many, context)
        finally:
            self.seconds += time.perf_counter() - began
            words = sql_text.split(None, 1)
            self.by_table[words[0].upper() if words else "?"] += 1


def reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process's RSS (Linux >= 4.0), so the sweep's own peak shows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes; never reset


class StepTimer:
    """Wall time per step of the sweep, by wrapping the services module's batch-level names (one call per batch)."""

    STEPS = ("active_phase_facts", "score_points", "_persist", "evaluate_facts", "check_serotonergic", "check_bipolar",
             "course_medications", "summary_of_facts", "refresh_statuses")

    def __init__(self, module: Any) -> None:
        self.module = module
        self.seconds: Counter[str] = Counter()
        self.originals = {name: getattr(module, name) for name in self.STEPS if hasattr(module, name)}

    def __enter__(self) -> StepTimer:
        for name, original in self.originals.items():
            setattr(self.module, name, self._timed(name, original))
        return self

    def __exit__(self, *exc: object) -> None:
        for name, original in self.originals.items():
            setattr(self.module, name, original)

    def _timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - began

        return timed

    def summary(self, total: float) -> str:
        s = self.seconds
        inside = ("score_points", "_persist", "course_medications", "summary_of_facts")
        engine = s["evaluate_facts"] - sum(s[name] for name in inside)
        parts = [
            ("loading phases", s["active_phase_facts"]),
            ("loading scores", s["score_points"]),
            ("loading medications", s["course_medications"]),
            ("engine", engine),
            ("summaries", s["summary_of_facts"]),
            ("writing flags/reminders", s["_persist"]),
            ("serotonergic and bipolar passes", s["check_serotonergic"] + s["check_bipolar"]),
            ("stored statuses", s["refresh_statuses"]),
        ]
        other = total - sum(v for _, v in parts)
        return ", ".join(f"{label} {v:.2f} s" for label, v in [*parts, ("other", other)])


def plain_pass(url: str) -> tuple[float, int, int]:
    """The same rows the sweep reads, straight from a server-side cursor into tuples: the floor to compare with."""
    from instruments.models import Assessment
    from patients.models import Patient, TreatmentPhase

    phase, patient, assessment = (m._meta.db_table for m in (TreatmentPhase, Patient, Assessment))
    phases_sql = sql.SQL(
        "SELECT ph.id, ph.patient_id, ph.modality, ph.stage, ph.started_on, ph.ended_on, p.birth_date,"
        " p.reminder_interval_days, p.primary_instrument"
        " FROM {ph} ph JOIN {p} p ON p.id = ph.patient_id"
        " WHERE ph.ended_on IS NULL AND p.active ORDER BY ph.id"
    ).format(ph=sql.Identifier(phase), p=sql.Identifier(patient))
    scores_sql = sql.SQL(
        "SELECT a.id, a.patient_id, a.instrument, a.administered_at, a.administered_on, a.total, a.severity"
        " FROM {a} a JOIN {ph} ph ON ph.patient_id = a.patient_id AND ph.ended_on IS NULL"
        " JOIN {p} p ON p.id = ph.patient_id AND p.active AND a.instrument = p.primary_instrument"
    ).format(a=sql.Identifier(assessment), ph=sql.Identifier(phase), p=sql.Identifier(patient))
    conninfo = urlunparse(urlparse(url)._replace(scheme="postgresql"))
    with psycopg.connect(conninfo) as conn:
        began = time.perf_counter()
        counts = []
        for query in (phases_sql, scores_sql):
            with conn.cursor(name="bench_plain") as cur:
                cur.itersize = 5000
                cur.execute(query)
                rows = 0
                for _ in cur:
                    rows += 1
                counts.append(rows)
        return time.perf_counter() - began, counts[0], counts[1]


def in_process(args: argparse.Namespace, conninfo: str) -> tuple[float, float, int]:
    """The sweep in this process (as run_reassessment runs it), twice, with a time split.

    Returns (first sweep s, second sweep s, phases)."""
    from django.db import connection

    from reassessment import services

    reset = reset_peak_rss()
    rss_before = peak_rss_mb()
    counter = QueryCounter()
    profiler = cProfile.Profile() if args.profile else None
    kwargs: dict[str, Any] = {"today": TODAY}
    if args.batch_size:
        kwargs["batch_size"] = args.batch_size
    with connection.execute_wrapper(counter), StepTimer(services) as steps:
        began = time.perf_counter()
        if profiler:
            profiler.enable()
        counts = services.sweep(**kwargs)
        if profiler:
            profiler.disable()
        sweep_seconds = time.perf_counter() - began
    rss_peak = peak_rss_mb()

    flags = ", ".join(f"{kind} {n:,}" for kind, n in sorted(counts.flags.items())) or "none"
    print(f"sweep: {counts.phases:,} active phases in {sweep_seconds:.2f} s = "
          f"{counts.phases / sweep_seconds:,.0f} patients/s{' (under cProfile: slower)' if profiler else ''}")
    print(f"  time split: {steps.summary(sweep_seconds)}")
    print(f"  queries: {counter.count:,} ({', '.join(f'{k} {v}' for k, v in counter.by_table.most_common())}); "
          f"{counter.seconds:.2f} s inside execute (server-side cursor fetches not included)")
    print(f"  peak RSS during the sweep: {rss_peak:.0f} MB (at its start {rss_before:.0f} MB"
          f"{'' if reset else '; ru_maxrss, which includes the seeding'})")
    print(f"  flags raised: {flags}; reminders queued {counts.reminders:,}; overdue resolved {counts.resolved:,}")

    # The steady state: tomorrow's sweep finds most flags already raised (here: all of them, same day).
    again = QueryCounter()
    with connection.execute_wrapper(again), StepTimer(services) as repeat_steps:
        began = time.perf_counter()
        repeat = services.sweep(**kwargs)
        repeat_seconds = time.perf_counter() - began
    print(f"second sweep (everything already raised): {repeat_seconds:.2f} s = "
          f"{repeat.phases / repeat_seconds:,.0f} patients/s, {again.count:,} queries, "
          f"{sum(repeat.flags.values()):,} new flags, {repeat.reminders:,} new reminders")
    print(f"  time split: {repeat_steps.summary(repeat_seconds)}")

    if args.next_day:
        # The daily case: tomorrow's sweep, with every flag and stored status of today already there. The clock moves
        # a day on (time-machine, a development dependency), since stored statuses are always as of the real day.
        import time_machine

        tomorrow = TODAY + timedelta(days=1)
        with time_machine.travel(datetime.combine(tomorrow, datetime.min.time()).replace(hour=12, tzinfo=UTC)):
            daily = QueryCounter()
            with connection.execute_wrapper(daily), StepTimer(services) as daily_steps:
                began = time.perf_counter()
                next_day = services.sweep(**{**kwargs, "today": tomorrow})
                daily_seconds = time.perf_counter() - began
        print(f"next day's sweep (today's flags and statuses there): {daily_seconds:.2f} s = "
              f"{next_day.phases / daily_seconds:,.0f} patients/s, {daily.count:,} queries, "
              f"{sum(next_day.flags.values()):,} new flags, {next_day.reminders:,} new reminders, "
              f"{next_day.resolved:,} overdue resolved")
        print(f"  time split: {daily_steps.summary(daily_seconds)}")

    if args.tracemalloc:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            clear(conn, everything=False)
        tracemalloc.start()
        services.sweep(**kwargs)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  tracemalloc: Python heap peak of the same sweep re-run untimed: {peak / 2**20:.1f} MB")

    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())
    return sweep_seconds, repeat_seconds, counts.phases


def start_workers(args: argparse.Namespace, count: int) -> list[subprocess.Popen[bytes]]:
    """`count` real worker processes (one pool process each) on this database, Redis and the bench's queue; ready."""
    env = dict(os.environ, DATABASE_URL=args.database_url, CELERY_BROKER_URL=args.redis_url, CELERY_QUEUE=args.queue,
               DEBUG="false", DJANGO_SETTINGS_MODULE="mbc.settings")
    (ROOT / "var").mkdir(exist_ok=True)
    procs = []
    for k in range(count):
        log = ROOT / "var" / f"bench-worker-{k}.log"
        log.write_bytes(b"")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "mbc", "worker", "--pool=prefork", "--concurrency=1",
             "--loglevel=INFO", "-Q", args.queue, "-n", f"bench{k}-{args.queue}@%h", "--without-heartbeat",
             "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        ))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if all(b"ready." in (ROOT / "var" / f"bench-worker-{k}.log").read_bytes() for k in range(count)):
            return procs
        time.sleep(0.2)
    stop_workers(procs)
    raise SystemExit("the bench's workers did not start within 120 s; see var/bench-worker-*.log")


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def timed_worker_sweep() -> tuple[float, int, dict[str, int], int]:
    """Queue the beat's sweep task; wait for its run to finish. (seconds, phases, flags raised, reminders queued)"""
    from reassessment import tasks
    from reassessment.models import SweepRun

    before = SweepRun.objects.order_by("-id").values_list("id", flat=True).first() or 0
    began = time.perf_counter()
    tasks.sweep.delay()
    while True:
        run = SweepRun.objects.filter(id__gt=before).order_by("-id").first()
        if run is not None and run.finished_at is not None:
            seconds = time.perf_counter() - began
            break
        if time.perf_counter() - began > 3600:
            raise SystemExit("the workers' sweep did not finish within an hour")
        time.sleep(0.1)
    flags: Counter[str] = Counter()
    phases = reminders = 0
    for counts in run.chunk_set.values_list("counts", flat=True):
        phases += counts.get("phases", 0)
        reminders += counts.get("reminders", 0)
        flags.update(counts.get("flags", {}))
    return seconds, phases, dict(flags), reminders


def with_workers(args: argparse.Namespace, count: int) -> tuple[float, float, int]:
    import redis

    redis.Redis.from_url(args.redis_url).delete(args.queue)
    procs = start_workers(args, count)
    try:
        first, phases, flags, reminders = timed_worker_sweep()
        print(f"{count} worker(s): first sweep {phases:,} active phases in {first:.2f} s = {phases / first:,.0f} "
              f"patients/s; flags {', '.join(f'{k} {v:,}' for k, v in sorted(flags.items())) or 'none'}; "
              f"reminders {reminders:,}")
        second, phases2, flags2, reminders2 = timed_worker_sweep()
        print(f"{count} worker(s): second sweep (steady state) in {second:.2f} s = {phases2 / second:,.0f} patients/s;"
              f" {sum(flags2.values()):,} new flags, {reminders2:,} new reminders")
    finally:
        stop_workers(procs)
    return first, second, phases


def main() -> int:
    args = parse_args()
    created = create_database(args.database_url)
    setup_django(args.database_url, args.redis_url if any(args.worker_counts) else "memory://", args.queue)

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    conninfo = urlunparse(urlparse(args.database_url)._replace(scheme="postgresql"))
    _, dbname = admin_url(args.database_url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        server = conn.info.server_version
        print(f"mbc sweep benchmark: {args.patients:,} patients x {args.scores} PHQ-9 scores, "
              f"PostgreSQL {server // 10000}.{server % 10000} database {dbname}"
              f"{' (created)' if created else ''}, today {TODAY}")
        if args.reuse and seeded(conn, args.patients, args.scores):
            clear(conn, everything=False)
            print("seed: reused the existing data")
        else:
            began = time.perf_counter()
            clear(conn, everything=True)
            with conn.transaction():
                rows = seed(conn, args.patients, args.scores)
            conn.execute("ANALYZE")
            seconds = time.perf_counter() - began
            print(f"seed: {sum(rows.values()):,} rows ({', '.join(f'{k} {v:,}' for k, v in rows.items())}) "
                  f"in {seconds:.1f} s")

    results: dict[int, tuple[float, float, int]] = {}
    for count in args.worker_counts:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            clear(conn, everything=False)
        results[count] = in_process(args, conninfo) if count == 0 else with_workers(args, count)

    connection.close()
    plain_seconds, phase_rows, score_rows = plain_pass(args.database_url)
    print(f"plain SQL pass: {phase_rows:,} phases + {score_rows:,} assessments in {plain_seconds:.2f} s")
    print(f"{'workers':>8}{'first s':>10}{'patients/s':>12}{'x plain':>9}{'steady s':>10}{'patients/s':>12}"
          f"{'x plain':>9}")
    for count, (first, second, phases) in results.items():
        label = "in proc" if count == 0 else str(count)
        print(f"{label:>8}{first:>10.2f}{phases / first:>12,.0f}{first / plain_seconds:>9.1f}{second:>10.2f}"
              f"{phases / second:>12,.0f}{second / plain_seconds:>9.1f}")
    print("targets: 1,000,000 patients in < 180 s on 2 cores, first sweep within 4x the plain read, steady state "
          "within 2x")

    if not args.keep:
        drop_database(args.database_url)
        print(f"dropped database {dbname} (--keep keeps it for --reuse)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
