"""Security headers on every HTTP response: what the browser may load, embed and send along."""

from __future__ import annotations

from litestar.types import BeforeMessageSendHookHandler, Message, Scope

# Scripts, styles, fonts and connections from this origin only; logos are https images an
# organization links to. Styles allow inline ones: the web app and the API reference set element
# styles from script. Nothing may frame the product (clickjacking on the candidate page).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: data: blob:; media-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; font-src 'self' data:; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Camera and microphone only where a candidate records (/i/<token>); nothing else needs them.
CANDIDATE_PAGE = "/i/"
RECORDING_ALLOWED = b"camera=(self), microphone=(self), geolocation=(), payment=(), usb=()"
RECORDING_DENIED = b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = b"max-age=31536000; includeSubDomains"

COMMON = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    # Candidate links and reset/invitation tokens are in URLs: never send them as a Referer.
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def security_headers(https_only: bool) -> BeforeMessageSendHookHandler:
    """A before-send hook adding the headers above to every HTTP response, error responses of
    unknown routes included; HSTS when the product is served over https (``https_only``: its
    public URL is https, whatever scheme a proxy forwards)."""

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        path = scope["path"]
        permissions = RECORDING_ALLOWED if path.startswith(CANDIDATE_PAGE) else RECORDING_DENIED
        extra = [*COMMON, (b"permissions-policy", permissions)]
        if https_only or scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS))
        headers = list(message.get("headers", []))
        present = {name.lower() for name, _ in headers}
        headers.extend(h for h in extra if h[0] not in present)
        message["headers"] = headers

    return add_headers
