"""Tests of mbc/settings.py in fresh processes: production start-up refuses missing or malformed variables."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUP = "import django; django.setup()"
# Variables the settings read; each test starts from none of them, then sets its own.
READ = (
    "MBC_",
    "SECRET_KEY",
    "DEBUG",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "CELERY_",
    "REDIS_URL",
    "TIME_ZONE",
    "EMAIL_",
    "SECURE_",
    "STATIC",
    "CONN_MAX_AGE",
    "DJANGO_",
)


@pytest.fixture
def production(tmp_path):
    """Everything production requires, valid; a test removes or spoils one variable."""
    return {
        "MBC_MODE": "production",
        "SECRET_KEY": "aB3$dE6&gH9*" * 5,
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
        "ALLOWED_HOSTS": "mbc.example.org",
        "MBC_BASE_URL": "https://mbc.example.org",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        # DESIGN 3b: production needs a real email backend (no reset link or patient link printed to a log).
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    }


def run(tmp_path, variables, argv):
    env = {k: v for k, v in os.environ.items() if not k.startswith(READ)}
    env |= {"MBC_VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "mbc.settings"} | variables
    return subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False
    )


def setup(tmp_path, variables):
    return run(tmp_path, variables, ["-c", SETUP])


def one_sentence_naming(result, name):
    """stderr is a single line, no traceback: one sentence that names the variable."""
    lines = result.stderr.strip().splitlines()
    return len(lines) == 1 and name in lines[0] and lines[0].endswith(".") and ". " not in lines[0]


def test_the_production_fixture_has_a_60_character_key(production):
    assert len(production["SECRET_KEY"]) == 60


def test_it_starts_in_production_with_every_required_variable(tmp_path, production):
    result = setup(tmp_path, production)

    assert result.returncode == 0, result.stderr


def test_it_starts_in_development_with_no_variables_at_all(tmp_path):
    result = setup(tmp_path, {})

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "secret_key").exists()


def test_it_refuses_production_without_a_secret_key(tmp_path, production):
    del production["SECRET_KEY"]

    result = setup(tmp_path, production)

    assert result.returncode != 0
    assert one_sentence_naming(result, "SECRET_KEY"), result.stderr


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "MBC_BASE_URL", "CELERY_BROKER_URL"])
@pytest.mark.parametrize("value", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_it_refuses_production_without_a_required_variable(tmp_path, production, name, value):
    if value is None:
        del production[name]
    else:
        production[name] = value

    result = setup(tmp_path, production)

    assert result.returncode != 0
    assert one_sentence_naming(result, name), result.stderr


def test_it_accepts_redis_url_for_the_broker_in_production(tmp_path, production):
    production["REDIS_URL"] = production.pop("CELERY_BROKER_URL")

    assert setup(tmp_path, production).returncode == 0


def test_it_refuses_a_short_secret_key_in_production(tmp_path, production):
    production["SECRET_KEY"] = "too-short-for-production"

    result = setup(tmp_path, production)

    assert result.returncode != 0
    assert one_sentence_naming(result, "SECRET_KEY"), result.stderr


def test_it_refuses_debug_in_production(tmp_path, production):
    production["DEBUG"] = "true"

    result = setup(tmp_path, production)

    assert result.returncode != 0
    assert one_sentence_naming(result, "DEBUG"), result.stderr


@pytest.mark.parametrize("mode", ["development", "production"])
def test_it_refuses_a_malformed_debug(tmp_path, production, mode):
    variables = production if mode == "production" else {}
    variables |= {"MBC_MODE": mode, "DEBUG": "maybe"}

    result = setup(tmp_path, variables)

    assert result.returncode != 0
    assert one_sentence_naming(result, "DEBUG"), result.stderr


@pytest.mark.parametrize(
    ("name", "value", "extra"),
    [
        ("EMAIL_PORT", "twenty-five", {}),
        ("SECURE_HSTS_SECONDS", "a year", {}),
        ("MBC_SELF_REPORT_LINK_DAYS", "two weeks", {}),
        ("EMAIL_USE_TLS", "perhaps", {}),
        # Read only for PostgreSQL; setup() does not connect, so no server is needed.
        ("CONN_MAX_AGE", "forever", {"DATABASE_URL": "postgres://mbc@127.0.0.1:5432/mbc"}),
    ],
)
def test_it_refuses_a_malformed_typed_variable(tmp_path, production, name, value, extra):
    production |= {name: value} | extra

    result = setup(tmp_path, production)

    assert result.returncode != 0
    assert one_sentence_naming(result, name), result.stderr


def test_it_refuses_a_malformed_database_url(tmp_path, production):
    production["DATABASE_URL"] = "mysqlx://nowhere"

    result = setup(tmp_path, production)

    assert result.returncode != 0
    assert one_sentence_naming(result, "DATABASE_URL"), result.stderr


def test_it_refuses_an_unknown_mode(tmp_path):
    result = setup(tmp_path, {"MBC_MODE": "prod"})

    assert result.returncode != 0
    assert one_sentence_naming(result, "MBC_MODE"), result.stderr


def test_it_passes_the_deployment_checks_in_production(tmp_path, production):
    result = run(tmp_path, production, ["manage.py", "check", "--deploy", "--fail-level", "WARNING"])

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_fails_the_deployment_checks_in_development(tmp_path):
    # The control for the test above: the same command does find problems with the development defaults.
    result = run(tmp_path, {}, ["manage.py", "check", "--deploy", "--fail-level", "WARNING"])

    assert result.returncode != 0
    assert "security.W" in result.stderr + result.stdout


@pytest.mark.parametrize("value", ["30", "34", "thirty"])
def test_it_stops_on_a_pcl5_cut_point_outside_31_to_33(tmp_path, value):
    result = setup(tmp_path, {"MBC_PCL5_CUTOFF": value})

    assert result.returncode != 0
    assert one_sentence_naming(result, "MBC_PCL5_CUTOFF"), result.stderr


def test_it_bands_the_pcl5_at_the_clinics_cut_point(tmp_path):
    code = SETUP + "; from instruments import definitions as d; print(d.get('pcl5').band_for(31).severity)"
    result = run(tmp_path, {"MBC_PCL5_CUTOFF": "31"}, ["-c", code])

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "probable_ptsd"


def test_it_gives_redis_a_visibility_timeout_of_minutes(tmp_path):
    """A task whose worker died comes back from Redis within 5 minutes (not the 6 hours it once took)."""
    code = SETUP + "; from django.conf import settings as s; print(s.CELERY_BROKER_TRANSPORT_OPTIONS"
    code += "['visibility_timeout'])"
    result = run(tmp_path, {"REDIS_URL": "redis://127.0.0.1:6379/0"}, ["-c", code])
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) == 300


def settings_value(tmp_path, variables, expression):
    """One value of the configured settings, read in a fresh process."""
    result = run(tmp_path, variables, ["-c", f"{SETUP}; from django.conf import settings; print({expression})"])
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("backend", ["console", "locmem", "dummy", "filebased"])
def test_it_refuses_an_email_backend_that_is_not_real_in_production(tmp_path, production, backend):
    production["EMAIL_BACKEND"] = f"django.core.mail.backends.{backend}.EmailBackend"

    result = setup(tmp_path, production)

    assert result.returncode != 0
    assert one_sentence_naming(result, "EMAIL_BACKEND"), result.stderr


def test_it_refuses_production_with_the_default_email_backend(tmp_path, production):
    del production["EMAIL_BACKEND"]

    result = setup(tmp_path, production)

    assert result.returncode != 0
    assert one_sentence_naming(result, "EMAIL_BACKEND"), result.stderr


def test_it_keeps_the_console_email_backend_in_development(tmp_path):
    assert settings_value(tmp_path, {}, "settings.EMAIL_BACKEND") == "django.core.mail.backends.console.EmailBackend"


@pytest.mark.parametrize(
    "name", ["MBC_TRUSTED_PROXIES", "MBC_API_TOKEN_DAYS", "MBC_SESSION_IDLE_MINUTES", "MBC_LOCKOUT_ATTEMPTS",
             "MBC_LOCKOUT_MINUTES", "MBC_REQUIRE_2FA"],
)
@pytest.mark.parametrize("value", ["many", "-1"])
def test_it_refuses_a_malformed_security_variable(tmp_path, production, name, value):
    production[name] = value

    result = setup(tmp_path, production)

    assert result.returncode != 0
    assert one_sentence_naming(result, name), result.stderr


@pytest.mark.parametrize(
    ("variables", "expected"),
    [({}, "0 30 30 False"), ({"MBC_MODE": "production"}, "0 30 30 True"),
     ({"MBC_TRUSTED_PROXIES": "1", "MBC_API_TOKEN_DAYS": "7", "MBC_SESSION_IDLE_MINUTES": "15",
       "MBC_REQUIRE_2FA": "true"}, "1 7 15 True")],
    ids=["development", "production", "set"],
)
def test_it_reads_the_security_variables(tmp_path, production, variables, expected):
    if variables.get("MBC_MODE") == "production":
        variables = production
    expression = ("settings.REST_FRAMEWORK['NUM_PROXIES'], settings.REST_KNOX['TOKEN_TTL'].days, "
                  "settings.SESSION_COOKIE_AGE // 60, settings.MBC_REQUIRE_2FA")
    assert settings_value(tmp_path, variables, expression) == expected


def test_it_saves_the_session_on_every_request_so_only_idle_sessions_expire(tmp_path):
    assert settings_value(tmp_path, {}, "settings.SESSION_SAVE_EVERY_REQUEST") == "True"


def test_it_hashes_passwords_with_argon2_first(tmp_path):
    expected = "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert settings_value(tmp_path, {}, "settings.PASSWORD_HASHERS[0]") == expected


def test_it_shares_the_cache_through_redis_when_redis_url_is_set(tmp_path):
    value = settings_value(tmp_path, {"REDIS_URL": "redis://127.0.0.1:6379/2"}, "settings.CACHES['default']")

    assert "django.core.cache.backends.redis.RedisCache" in value
    assert "redis://127.0.0.1:6379/2" in value


def test_it_shares_the_cache_through_the_database_otherwise(tmp_path):
    value = settings_value(tmp_path, {}, "settings.CACHES['default']['BACKEND']")

    assert value == "django.core.cache.backends.db.DatabaseCache"


def test_it_creates_the_cache_table_with_migrate(tmp_path):
    # bin/run, the Dockerfile's deployment and CI all run `migrate`; the throttles then work from the first request.
    result = run(tmp_path, {}, ["manage.py", "migrate", "--noinput", "-v0"])
    assert result.returncode == 0, result.stderr

    tables = settings_value(tmp_path, {}, "__import__('django.db').db.connection.introspection.table_names()")

    assert "'mbc_cache'" in tables
