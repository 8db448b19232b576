"""A test client that behaves like the web app: keeps cookies and echoes the CSRF token."""

from __future__ import annotations

from typing import Any

import httpx

from tests.services import Inbox, OutboxDir, body_text, token_in

CSRF_COOKIE = "fairview_csrf"
PASSWORD = "a long enough passphrase"


class ApiClient:
    def __init__(self, client: httpx.AsyncClient, mail: Inbox | OutboxDir | None = None) -> None:
        """``mail``: where the product's emails arrive (sign-up confirms the address by email)."""
        self.http = client
        self.mail = mail

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if method not in ("GET", "HEAD", "OPTIONS") and "authorization" not in {
            k.lower() for k in headers
        }:
            if CSRF_COOKIE not in self.http.cookies:
                await self.http.get("/api/v1/auth/me")  # a safe request sets the CSRF cookie
            headers["x-csrf-token"] = self.http.cookies[CSRF_COOKIE]
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("POST", path, **kw)

    async def patch(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kw)

    async def delete(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kw)

    async def sign_up(
        self,
        email: str = "ada@example.com",
        org: str = "Acme",
        name: str = "Ada Lovelace",
        locale: str = "en",
    ) -> dict[str, Any]:
        """Sign up, open the confirmation link from the email, and so log in: returns ``Me``."""
        assert self.mail is not None, "ApiClient(http, mail) needs the mail to confirm a sign-up"
        seen = {m["Message-ID"] for m in self.mail.messages}
        r = await self.post(
            "/api/v1/auth/signup",
            json={
                "organization_name": org,
                "name": name,
                "email": email,
                "password": PASSWORD,
                "locale": locale,
            },
        )
        assert r.status_code == 202, r.text
        mail = await self.mail.wait_for(
            lambda m: (
                m["To"].lower() == email.lower()
                and m["Message-ID"] not in seen
                and "/verify-email?token=" in body_text(m)
            )
        )
        r = await self.post(
            "/api/v1/auth/verify-email", json={"token": token_in(mail, "verify-email")}
        )
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    async def log_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.post("/api/v1/auth/login", json={"email": email, "password": password})
