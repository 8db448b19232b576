"""One typed settings object, read from ``FAIRVIEW_*`` environment variables.

Defaults run the whole product on one machine. Without ``FAIRVIEW_SECRET_KEY`` a random secret
is made on first run and kept in ``FAIRVIEW_SECRET_KEY_FILE`` (readable by its owner only), so
every process on the machine shares it; production needs the key set, and the repository's
development value is refused whenever the public URL is not loopback.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from croniter import croniter

# The secret of settings built in code (tests on loopback); refused unless the public URL is
# loopback and the environment is not production.
DEFAULT_SECRET = "dev-secret-change-me-dev-secret-change-me"  # noqa: S105
ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """The environment describes a configuration Fairview will not run with."""


@dataclass(frozen=True)
class Settings:
    environment: str = "development"  # development | production | test
    database_url: str = "postgresql://postgres@127.0.0.1:5432/fairview"
    # Role the app switches to on every connection so Row-Level Security applies even when the
    # connecting user owns the tables; empty disables the switch.
    database_role: str = "fairview_app"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Empty means: start the embedded Kafka-protocol broker (one-machine mode).
    kafka: str = ""
    kafka_port: int = 19092
    # Consumer-group session timeout: a group waits half of it to (re)balance members.
    kafka_session_timeout_ms: int = 10_000
    # The longest a consumer may take over one message before its group gives the message's
    # partition to another member (which handles it again): above the slowest handler.
    kafka_max_poll_interval_ms: int = 30 * 60 * 1000
    # Partitions per topic, created with the topics (e.g. "audio=48,pipeline=48"); unnamed
    # topics keep their defaults (streaming.bus.PARTITIONS). A group's members beyond its
    # topic's partitions get no work, so size them for the most workers you will run.
    kafka_partitions: str = ""
    # AI work (a transcript, an evaluation, a summary) missing this long after it was due counts
    # as lost with its event and is asked for again (streaming.sweeper), checked every 2 minutes.
    sweep_after_s: int = 600
    object_store: str = str(ROOT / "var" / "objects")  # a directory or s3://bucket/prefix
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    secret_key: str = DEFAULT_SECRET
    # Where the secret made on first run is kept when FAIRVIEW_SECRET_KEY is not set.
    secret_key_file: str = str(ROOT / "var" / "secret_key")
    public_url: str = "http://127.0.0.1:8000"
    ingest_url: str = ""  # public base URL of the ingest (WHIP) process; empty: public_url
    # This ingest process's own base URL, when several share ingest_url behind a load balancer:
    # WHIP session URLs (Location) point here, so a session's DELETE reaches its process.
    ingest_self_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    api_workers: int = 1  # processes of `fairview api` (each with its own pool); `run` uses one
    # `fairview worker` serves /healthz, /readyz and /metrics here (on `host`); 0: any free port
    worker_port: int = 8002
    smtp_host: str = ""  # empty: emails go to the outbox directory instead
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_tls: str = "none"  # none | starttls | tls
    mail_from: str = "Fairview <no-reply@fairview.local>"
    mail_outbox_dir: str = str(ROOT / "var" / "outbox")
    login_attempts_per_15min: int = 10
    # Joins through an interview's public link per client address per 15 minutes (20 times
    # that per link), so nobody floods an interview with candidates or its invitees with email.
    public_joins_per_15min: int = 10
    # A candidate in progress at the deadline may still finish for this long.
    deadline_grace_minutes: int = 120
    signups_per_hour: int = 10  # new accounts per client address per hour
    # Addresses (IPs or CIDR networks, comma-separated) of reverse proxies in front of Fairview:
    # only a request from one of them has its X-Forwarded-For believed (rate limits, lockout).
    trusted_proxies: str = ""
    # Bearer token for /metrics and the details of /readyz from anywhere; without it (or without
    # the token) only direct loopback callers see them.
    metrics_token: str = ""
    # Live streams (notifications, live transcripts) one person or API key may hold open in one
    # process; each process shares one Redis pub/sub connection among all of its streams.
    sse_streams_per_user: int = 10
    api_requests_per_minute: int = 600  # per organization API key (429 with Retry-After)
    # Webhook URLs resolving to loopback, private or link-local addresses are refused unless this
    # is on (endpoints on the operator's own network; the test suite's receiver on 127.0.0.1).
    webhooks_allow_private: bool = False
    # When reminders and expiry run (cron, UTC; a sixth field gives seconds). Clean-up of
    # abandoned recordings runs every five minutes.
    schedule_cron: str = "* * * * *"
    # Carry out candidates' erasure requests as soon as they are made, instead of at their due
    # date (30 days after the request, the legal deadline); the team may also erase at once.
    privacy_erase_immediately: bool = False
    # Speech-to-text: "base" (multilingual), "tiny.en" (fast, English) or a model directory;
    # empty turns transcription off. With stt_base_url (an OpenAI-compatible transcription
    # endpoint), stt_model is that endpoint's model name, e.g. "whisper-1".
    stt_model: str = "base"
    stt_base_url: str = ""
    stt_api_key: str = ""
    model_cache_dir: str = str(ROOT / "var" / "models")
    # Evaluation by an LLM behind an OpenAI-compatible API (OpenAI, vLLM, Ollama, llama.cpp
    # server). Empty base URL: the local rubric evaluator (key-point coverage, no grade).
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_s: int = 120
    llm_max_retries: int = 2  # per request, on timeouts, 429 and 5xx (exponential backoff)
    # How the reply's JSON schema is asked for: "json_schema" (OpenAI, vLLM, Ollama, llama.cpp's
    # server) or "json_object" with a schema (llama-cpp-python's server and older servers).
    llm_response_format: str = "json_schema"
    llm_live_interval_s: int = 20  # at most one live rubric-coverage call per answer this often
    # Billing: "off" (self-hosted: no limits, no Stripe) or "on" (plans from plans_file, empty:
    # the built-in api/billing/plans.toml; Stripe when its keys are set).
    billing: str = "off"
    plans_file: str = ""
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""  # empty: Stripe's API; tests point it at recorded responses
    web_dist: str = str(ROOT / "web" / "dist")
    log_json: bool = False

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def topic_partitions(self) -> dict[str, int]:
        from streaming.bus import PARTITIONS

        wanted = dict(PARTITIONS)
        for item in filter(None, (i.strip() for i in self.kafka_partitions.split(","))):
            topic, _, count = item.partition("=")
            if topic not in PARTITIONS or not count.isdigit() or int(count) < 1:
                raise SettingsError(
                    "FAIRVIEW_KAFKA_PARTITIONS must be topic=count pairs, e.g. audio=48,"
                    f"pipeline=48, for the topics {', '.join(PARTITIONS)}"
                )
            wanted[topic] = int(count)
        return wanted

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        try:
            return tuple(
                ipaddress.ip_network(item.strip(), strict=False)
                for item in self.trusted_proxies.split(",")
                if item.strip()
            )
        except ValueError as exc:
            raise SettingsError(
                "FAIRVIEW_TRUSTED_PROXIES must be comma-separated addresses or networks,"
                f" e.g. 127.0.0.1,10.0.0.0/8 ({exc})"
            ) from None

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(env_name(f.name))
            if raw is None:
                continue
            if f.type == "int":
                values[f.name] = int(raw)
            elif f.type == "bool":
                values[f.name] = raw.lower() in {"1", "true", "yes", "on"}
            else:
                values[f.name] = raw
        if "secret_key" not in values and values.get("environment") != "production":
            values["secret_key"] = kept_secret(
                Path(values.get("secret_key_file", cls.secret_key_file))
            )
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        if self.environment not in {"development", "production", "test"}:
            raise SettingsError("FAIRVIEW_ENVIRONMENT must be development, production or test")
        if self.production:
            if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
                raise SettingsError(
                    "FAIRVIEW_SECRET_KEY must be set to a random value of at least 32 characters "
                    "in production (for example: python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))')"
                )
            if not self.public_url.startswith("https://"):
                raise SettingsError("FAIRVIEW_PUBLIC_URL must be an https:// URL in production")
        if self.secret_key == DEFAULT_SECRET and not is_loopback_url(self.public_url):
            raise SettingsError(
                "FAIRVIEW_SECRET_KEY is the repository's development value, which anyone can read;"
                " it is refused when FAIRVIEW_PUBLIC_URL is not loopback. Unset it (a random one"
                " is made and kept in FAIRVIEW_SECRET_KEY_FILE) or set a random value."
            )
        if self.llm_base_url and not self.llm_model:
            raise SettingsError("FAIRVIEW_LLM_MODEL must be set with FAIRVIEW_LLM_BASE_URL")
        if self.billing not in {"off", "on"}:
            raise SettingsError("FAIRVIEW_BILLING must be off or on")
        if not croniter.is_valid(self.schedule_cron):
            raise SettingsError("FAIRVIEW_SCHEDULE_CRON must be a cron expression, e.g. * * * * *")
        self.topic_partitions  # noqa: B018 - refuses a malformed FAIRVIEW_KAFKA_PARTITIONS
        self.trusted_proxy_networks  # noqa: B018 - refuses a malformed FAIRVIEW_TRUSTED_PROXIES
        if self.llm_response_format not in {"json_schema", "json_object"}:
            raise SettingsError("FAIRVIEW_LLM_RESPONSE_FORMAT must be json_schema or json_object")


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def kept_secret(path: Path) -> str:
    """The machine's secret: read from ``path``, or made at random and written there first
    (mode 0600; created exclusively, so processes starting together agree on one)."""
    try:
        secret = path.read_text().strip()
    except FileNotFoundError:
        secret = ""
    if len(secret) >= 32:
        return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = secrets.token_urlsafe(48)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(fresh + "\n")
    try:
        os.link(draft, path)  # atomic, and never over a secret another process made first
    except FileExistsError:
        secret = path.read_text().strip()
        if len(secret) < 32:
            raise SettingsError(
                f"{path} holds a secret shorter than 32 characters; remove it to make a new one"
            ) from None
        return secret
    finally:
        draft.unlink()
    return fresh


def env_name(field_name: str) -> str:
    return "FAIRVIEW_" + field_name.upper()


def env_names() -> set[str]:
    return {env_name(f.name) for f in fields(Settings)}
