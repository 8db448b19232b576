"""The ``fairview`` command: run the product or one of its processes, migrate, make keys."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from typing import Any
from uuid import uuid4

import uvicorn

from fairview import logging as fv_logging
from fairview.settings import Settings, SettingsError

# On SIGTERM, open connections get this long to finish before they are cancelled: a live view's
# stream (SSE) never finishes by itself, and `fairview run` must stop within 10 s in any state
# (the lifespan's shutdown then ends recordings, loops and the broker).
GRACEFUL_SHUTDOWN_S = 3


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
        proxy_headers=False,  # the app believes only FAIRVIEW_TRUSTED_PROXIES
        ws="websockets-sansio",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


def _serve_worker(settings: Settings) -> None:
    """The background workers, with /healthz, /readyz (each loop's state) and /metrics served
    on FAIRVIEW_HOST:FAIRVIEW_WORKER_PORT; SIGTERM stops them."""
    from fairview.runtime import build_app

    app = build_app(settings, roles=frozenset({"workers"}))
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.worker_port))
    host, port = sock.getsockname()[:2]
    print(f"\n  Fairview worker: health and metrics at http://{host}:{port}/readyz\n", flush=True)
    config = uvicorn.Config(
        app,
        log_level="warning",
        proxy_headers=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    uvicorn.Server(config).run(sockets=[sock])


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
            proxy_headers=False,  # the app believes only FAIRVIEW_TRUSTED_PROXIES
            ws="websockets-sansio",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
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


def _dead_letters(settings: Settings, redrive: list[str] | None) -> None:
    """List the dead letters not yet handled, or make some (or ``all``) due for re-drive now."""
    from storage.db import Database
    from streaming.dead_letters import DeadLetters

    async def act() -> None:
        db = Database(settings.database_url, settings.database_role)
        await db.connect()
        try:
            store = DeadLetters(db)
            if redrive is not None:
                ids = None if redrive == ["all"] else [int(i) for i in redrive]
                print(
                    f"{await store.make_due(ids)} dead letter(s) due now; the workers re-drive them"
                )
                return
            rows = await store.open()
            for r in rows:
                when = r["next_redrive_at"].isoformat() if r["next_redrive_at"] else "by command"
                print(
                    f"{r['id']}\t{r['consumer_group']}\t{r['event_type']}\t{r['event_id']}"
                    f"\tfailed {r['failed_at'].isoformat()}\tre-drives {r['redrives']}"
                    f"\tnext {when}\t{r['error'].splitlines()[0] if r['error'] else ''}"
                )
            print(f"{len(rows)} dead letter(s) not yet handled")
        finally:
            await db.close()

    asyncio.run(act())


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
    dead = sub.add_parser("dead-letters", help="events the workers could not handle")
    dead.add_argument("--redrive", nargs="+", metavar="ID", help="re-drive these now (or: all)")
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
        _serve_worker(settings)
    elif args.command == "operator-key":
        _operator_key(settings, args.name)
    elif args.command == "dead-letters":
        _dead_letters(settings, args.redrive)
    elif args.command == "openapi":
        from fairview.runtime import openapi_json

        sys.stdout.write(openapi_json(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
