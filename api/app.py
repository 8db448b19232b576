"""The Litestar application: versioned REST under ``/api/v1``, OpenAPI, sessions, CSRF,
metrics and the web app's static files."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import msgspec
from litestar import Controller, Litestar, Request, Response, Router, get
from litestar.config.csrf import CSRFConfig
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig
from litestar.static_files import create_static_files_router
from litestar.stores.redis import RedisStore
from litestar.types import ASGIApp
from redis.asyncio import Redis
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.admin.routes import AdminController
from api.billing.routes import BillingController, stripe_webhook
from api.compliance.routes import CandidateRightsController, ComplianceController
from api.errors import EXCEPTION_HANDLERS, NotFound
from api.fairness.routes import AdverseImpactController, SelfIdentificationController
from api.headers import security_headers
from api.identity.auth import CookieCSRFMiddleware
from api.identity.routes import (
    AuthController,
    InvitationAcceptanceController,
    OrganizationController,
    TeamController,
)
from api.identity.sessions import session_config
from api.interviews.routes import CandidateController, InterviewController, list_templates
from api.live.routes import LiveController
from api.notification.routes import EmailPreferencesController, NotificationController
from api.observability import RequestIdMiddleware, TemplatePathPrometheusMiddleware
from api.privacy.routes import CandidateDataController, PrivacyController
from api.reporting.routes import ReportingController, SharedController
from api.responses.routes import CandidateSessionController, PublicInterviewController
from api.review.routes import ReviewController
from api.system.routes import MetricsController, healthz, readyz
from api.webhooks.routes import WebhookController

API_PREFIX = "/api/v1"
OPENAPI_PATH = "/api/docs"  # the schema is at /api/docs/openapi.json
CSRF_COOKIE = "fairview_csrf"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class AppConfig:
    secret_key: str
    secure_cookies: bool
    web_dist: Path | None
    version: str = "0.1.0"
    # Reverse proxies whose X-Forwarded-For/-Proto are believed (addresses or networks).
    trusted_proxies: tuple[str, ...] = ()


def with_shared_errors(handler: Any) -> Any:
    """Litestar documents ``responses`` per operation only: give each operation of a controller
    the error statuses its controller declares for all of them."""
    if isinstance(handler, type) and issubclass(handler, Controller):
        shared = getattr(handler, "responses", None) or {}
        for member in vars(handler).values():
            if isinstance(member, HTTPRouteHandler):
                member.responses = {**shared, **(member.responses or {})}
    return handler


class AttributeConfiguredScalar(ScalarRenderPlugin):
    """Scalar configured through the ``data-configuration`` attribute instead of an inline
    script, which the content security policy forbids."""

    def render_options(self) -> str:
        return ""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        page = super().render(request, openapi_schema).decode()
        configuration = html.escape(msgspec.json.encode(self.options or {}).decode(), quote=True)
        return page.replace(
            'id="api-reference"', f'id="api-reference" data-configuration="{configuration}"', 1
        ).encode()


def api_reference(dist: Path | None) -> ScalarRenderPlugin:
    """The API reference UI at /api/docs: Scalar from the web app's build (copied there from its
    npm package), so it works without internet access; from its CDN if the web app is not built."""
    bundle = "assets/scalar/standalone.js"
    if dist is not None and (dist / bundle).exists():
        return AttributeConfiguredScalar(
            js_url=f"/{bundle}",
            css_url="/assets/scalar/style.css",
            # Nothing that reaches Scalar's services: its fonts (a CDN), AI agent, MCP generator,
            # developer toolbar.
            options={
                "withDefaultFonts": False,
                "agent": {"disabled": True},
                "mcp": {"disabled": True},
                "showDeveloperTools": "never",
            },
            favicon="",
        )
    return ScalarRenderPlugin()


def proxy_headers(trusted: tuple[str, ...]) -> list[DefineMiddleware]:
    """uvicorn's proxy-headers middleware for the configured proxies only (none: nobody's
    X-Forwarded-For is believed)."""
    if not trusted:
        return []
    factory = cast("Callable[..., ASGIApp]", ProxyHeadersMiddleware)
    return [DefineMiddleware(factory, trusted_hosts=list(trusted))]


def api_router() -> Router:
    handlers = [
        AuthController,
        OrganizationController,
        TeamController,
        InvitationAcceptanceController,
        AdminController,
        InterviewController,
        CandidateController,
        list_templates,
        CandidateSessionController,
        PublicInterviewController,
        ReviewController,
        ReportingController,
        SharedController,
        ComplianceController,
        CandidateRightsController,
        SelfIdentificationController,
        AdverseImpactController,
        PrivacyController,
        CandidateDataController,
        LiveController,
        BillingController,
        stripe_webhook,
        WebhookController,
        NotificationController,
        EmailPreferencesController,
    ]
    return Router(path=API_PREFIX, route_handlers=[with_shared_errors(h) for h in handlers])


def web_handlers(dist: Path | None) -> list[Any]:
    """The single-page web app: hashed assets, and index.html for every other GET."""
    if dist is None or not (dist / "index.html").exists():
        return []
    index = (dist / "index.html").read_bytes()

    @get(["/", "/{path:path}"], include_in_schema=False, sync_to_thread=False)
    def spa(request: Request[Any, Any, Any]) -> Response[bytes]:
        if request.url.path.startswith("/api/"):
            raise NotFound("No such endpoint.")
        return Response(index, media_type="text/html", headers={"Cache-Control": "no-cache"})

    assets = create_static_files_router(
        path="/assets", directories=[dist / "assets"], include_in_schema=False, cache_control=None
    )
    return [assets, spa]


def create_app(
    config: AppConfig,
    redis: Redis,
    lifespan: Callable[[Litestar], AbstractAsyncContextManager[None]] | None = None,
    *,
    include_api: bool = True,
    extra_handlers: Sequence[Any] = (),
) -> Litestar:
    """The ASGI app; ``extra_handlers`` lets the composition root add other processes' routes
    (the WHIP ingest) without the API depending on them."""
    prometheus = PrometheusConfig(
        app_name="fairview",
        prefix="fairview",
        group_path=True,
        exclude=["/metrics", "/healthz"],
        middleware_class=TemplatePathPrometheusMiddleware,
    )
    csrf = CSRFConfig(
        secret=config.secret_key,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=config.secure_cookies,
        cookie_samesite="lax",
        # Stripe's webhook and mail clients' one-click unsubscribe carry no cookies; a signature
        # (Stripe's, or the link's) authorises them instead. WHIP is authorised by its bearer
        # token only (no cookie is ever read there), so a request without one gets WHIP's 401.
        exclude=[
            "^/whip/",
            "/healthz",
            "/readyz",
            "/metrics",
            f"{API_PREFIX}/billing/stripe/webhook",
            f"{API_PREFIX}/email-preferences/unsubscribe",
        ],
    )
    return Litestar(
        route_handlers=[
            *([api_router()] if include_api else []),
            healthz,
            readyz,
            MetricsController,
            *extra_handlers,
            *web_handlers(config.web_dist),
        ],
        middleware=[
            *proxy_headers(config.trusted_proxies),
            RequestIdMiddleware,
            prometheus.middleware,
            session_config(config.secure_cookies).middleware,
            DefineMiddleware(CookieCSRFMiddleware, config=csrf),
        ],
        stores={
            "sessions": RedisStore(
                redis, namespace="fairview:sessions", handle_client_shutdown=False
            )
        },
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[security_headers(https_only=config.secure_cookies)],
        openapi_config=OpenAPIConfig(
            title="Fairview API",
            version=config.version,
            description=(
                "Versioned REST API of Fairview. People use session cookies (writes need the "
                f"`{CSRF_HEADER}` header echoing the `{CSRF_COOKIE}` cookie); integrations use "
                '`Authorization: Bearer <api key>`. Errors are `{"error": code, "detail": '
                "message}`. Lists take `limit` and `cursor` and return `next_cursor`."
            ),
            path=OPENAPI_PATH,
            render_plugins=[api_reference(config.web_dist)],
            components=Components(
                security_schemes={
                    "apiKey": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An organization or operator API key",
                    ),
                    "session": SecurityScheme(
                        type="apiKey", name="fairview_session", security_scheme_in="cookie"
                    ),
                }
            ),
            security=[{"session": []}, {"apiKey": []}],
        ),
        lifespan=[lifespan] if lifespan else [],
        debug=False,
        # Fairview configures logging itself (fairview/logging.py); Litestar's default would add
        # INFO records through a queue thread whose writes interleave with the JSON log lines.
        logging_config=None,
    )
