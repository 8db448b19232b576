"""The ``fairview`` command: run the product or one of its processes, migrate, make keys."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any
from uuid import uuid4

import uvicorn

from fairview import logging as fv_logging
from fairview.settings import Settings, SettingsError


def _serve(settings: Settings, roles: frozenset[str], workers: int = 1) -> None:
    from fairview.runtime import build_app

    if workers > 1:
        _serve_workers(settings, workers)
        return
    app = build_app(settings, roles=roles)
    print(
        f"\n  Fairview is running at {settings.public_url}\n"
        f'  Open it in a browser and choose "Create an account" to make the first '
        f"organization.\n  API docs: {settings.public_url}/api/docs\n",
        flush=True,
    )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        proxy_headers=settings.production,
        ws="websockets-sansio",
    )


def api_app() -> Any:
    """The API app of one of several worker processes (uvicorn's factory: settings from the
    environment, which the parent completed)."""
    from fairview.runtime import build_app

    settings = Settings.from_env()
    fv_logging.configure(settings.log_json or settings.production)
    return build_app(settings, roles=frozenset({"api"}))


def _serve_workers(settings: Settings, workers: int) -> None:
    """Several API processes on one socket (uvicorn's supervisor restarts any that dies). The
    embedded broker, when there is no Kafka, is started once here and shared."""
    from streaming.broker import EmbeddedBroker

    broker = None
    if not settings.kafka:
        broker = EmbeddedBroker(settings.kafka_port)
        asyncio.run(broker.start())
        os.environ["FAIRVIEW_KAFKA"] = broker.bootstrap
    print(f"\n  Fairview API ({workers} processes) at {settings.public_url}\n", flush=True)
    try:
        uvicorn.run(
            "fairview.cli:api_app",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            proxy_headers=settings.production,
            ws="websockets-sansio",
        )
    finally:
        if broker is not None:
            broker.stop()


def _operator_key(settings: Settings, name: str) -> None:
    from api.identity import repository as repo
    from api.identity import security
    from storage.db import Database

    async def create() -> str:
        db = Database(settings.database_url, settings.database_role)
        await db.connect()
        try:
            secret = security.new_api_key(security.OPERATOR_KEY_PREFIX)
            async with db.platform() as conn:
                await repo.create_operator_key(
                    conn,
                    uuid4(),
                    name,
                    security.display_prefix(secret),
                    security.token_hash(secret),
                )
            return secret
        finally:
            await db.close()

    print(asyncio.run(create()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fairview")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="everything on one machine: API, workers, embedded broker")
    api = sub.add_parser("api", help="the API process only")
    api.add_argument(
        "--workers", type=int, default=None, help="API processes (default FAIRVIEW_API_WORKERS, 1)"
    )
    sub.add_parser("ingest", help="the WebRTC ingest (WHIP) process only")
    sub.add_parser("worker", help="the background workers only")
    sub.add_parser("migrate", help="create the database if needed and apply migrations")
    key = sub.add_parser("operator-key", help="create an operator key for the admin API")
    key.add_argument("name")
    sub.add_parser("openapi", help="print the OpenAPI schema as JSON")
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"fairview: {exc}", file=sys.stderr)
        return 2
    fv_logging.configure(settings.log_json or settings.production)

    if args.command in ("run", "migrate"):
        from storage.migrate import migrate

        migrate(settings.database_url)
    if args.command == "run":
        _serve(settings, frozenset({"api", "ingest", "workers"}))
    elif args.command == "api":
        _serve(settings, frozenset({"api"}), args.workers or settings.api_workers)
    elif args.command == "ingest":
        _serve(settings, frozenset({"ingest"}))
    elif args.command == "worker":
        from fairview.runtime import run_workers

        asyncio.run(run_workers(settings))
    elif args.command == "operator-key":
        _operator_key(settings, args.name)
    elif args.command == "openapi":
        from fairview.runtime import openapi_json

        sys.stdout.write(openapi_json(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
