"""A test client that behaves like the web app: keeps cookies and echoes the CSRF token."""

from __future__ import annotations

from typing import Any

import httpx

CSRF_COOKIE = "fairview_csrf"
PASSWORD = "a long enough passphrase"


class ApiClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.http = client

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
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    async def log_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.post("/api/v1/auth/login", json={"email": email, "password": password})
