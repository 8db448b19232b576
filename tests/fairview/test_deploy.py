"""docker-compose.yml cannot run here (no Docker engine), so its shape is checked against the code:
every service the architecture names, healthchecks, and only settings Fairview knows."""

from __future__ import annotations

import re
from typing import Any

import yaml

from fairview.settings import ROOT, env_names

COMPOSE = ROOT / "docker-compose.yml"


def load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_compose_has_the_production_stack_with_healthchecks() -> None:
    services = load()["services"]
    assert {"postgres", "redis", "kafka", "minio", "api", "ingest", "worker"} <= set(services)
    for name in ("postgres", "redis", "kafka", "minio", "api", "ingest"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    for name in ("api", "ingest", "worker"):
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )


def test_compose_sets_only_known_settings_and_production_essentials() -> None:
    services = load()["services"]
    known = env_names()
    for name in ("api", "ingest", "worker", "migrate"):
        env = services[name]["environment"]
        fairview_vars = {k for k in env if k.startswith("FAIRVIEW_")}
        assert fairview_vars <= known, f"{name}: unknown {sorted(fairview_vars - known)}"
        assert env["FAIRVIEW_ENVIRONMENT"] == "production"
        for required in (
            "FAIRVIEW_SECRET_KEY",
            "FAIRVIEW_DATABASE_URL",
            "FAIRVIEW_KAFKA",
            "FAIRVIEW_REDIS_URL",
            "FAIRVIEW_OBJECT_STORE",
            "FAIRVIEW_PUBLIC_URL",
        ):
            assert required in env, f"{name} lacks {required}"
        # Secrets must be supplied, never defaulted in the file.
        assert re.search(r"\$\{FAIRVIEW_SECRET_KEY:\?", str(env["FAIRVIEW_SECRET_KEY"]))


def test_commands_are_real_cli_commands() -> None:
    from fairview.cli import main

    services = load()["services"]
    for name in ("api", "ingest", "worker", "migrate"):
        command = services[name]["command"]
        assert command[0] == "fairview"
        try:
            main([*command[1:], "--help"])
        except SystemExit as exc:  # argparse exits 0 after printing help
            assert exc.code == 0, f"{name}: fairview {command[1:]} is not a command"


def test_every_ingest_names_itself_and_the_gateway_routes_its_sessions_back_to_it() -> None:
    services = load()["services"]
    ingests = {n: s for n, s in services.items() if s.get("command") == ["fairview", "ingest"]}
    assert len(ingests) >= 2
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    selves = set()
    for name, service in ingests.items():
        self_url = service["environment"]["FAIRVIEW_INGEST_SELF_URL"]
        assert self_url.startswith("${FAIRVIEW_PUBLIC_URL}/"), name
        prefix = self_url.removeprefix("${FAIRVIEW_PUBLIC_URL}")
        selves.add(prefix)
        # The session URL's prefix goes to this service, stripped, and new sessions to any.
        route = re.search(rf"handle_path {prefix}/\* {{\s*reverse_proxy (\S+):8001", caddyfile)
        assert route and route.group(1) == name, f"{prefix} does not reach {name}"
        assert re.search(
            rf"handle /whip/answers/\* {{\s*reverse_proxy [^{{]*\b{name}:8001", caddyfile
        )
    assert len(selves) == len(ingests), "two ingest services share a session URL"
    assert services["worker"]["deploy"]["replicas"] >= 2
