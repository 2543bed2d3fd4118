"""Local stand-ins for Google's and Microsoft's OAuth and calendar endpoints, on 127.0.0.1, answering with the shapes
documented in ../shared/integrations.md (§1.1, §1.3, §1.5, §2.1, §2.2). They check what a real server checks (client
secret, redirect URI, PKCE S256, bearer token) and can be told to expire a grant or to throttle."""

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "parley-test-client"
CLIENT_SECRET = "parley-test-secret"  # noqa: S105


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def iso_z(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Grant:
    challenge: str
    redirect_uri: str
    scope: str


@dataclass
class FakeState:
    """What the fake provider knows and how it should misbehave next."""

    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, str] = field(default_factory=dict)  # access token -> refresh token
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> granted scope
    revoked: list[str] = field(default_factory=list)
    grant_scope: str | None = None  # what the user ticks; None = everything asked for
    invalid_grant: bool = False  # every refresh answers invalid_grant (expired or revoked)
    throttle: int = 0  # the next n calendar calls answer 429
    retry_after: str = "120"
    server_error: int = 0  # the next n calendar calls answer 503
    requests: list[tuple[str, str]] = field(default_factory=list)
    refreshes: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # the calendar's events, with whatever content
    written: dict[str, dict[str, Any]] = field(default_factory=dict)  # events Parley wrote back, by id

    def issue(self, scope: str, *, refresh: str | None = None) -> dict[str, Any]:
        access = "ya29." + secrets.token_urlsafe(24)
        refresh = refresh or "1//0g" + secrets.token_urlsafe(24)
        self.access_tokens[access] = refresh
        self.refresh_tokens[refresh] = scope
        return {"access_token": access, "expires_in": 3599, "refresh_token": refresh, "token_type": "Bearer", "scope": scope}


class _Handler(BaseHTTPRequestHandler):
    server: "FakeServer"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        pass

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self._body().decode()).items()}

    def _bearer_ok(self) -> bool:
        auth = self.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.server.state.access_tokens

    def do_GET(self) -> None:  # noqa: N802
        self.server.dispatch(self, "GET")

    def do_POST(self) -> None:  # noqa: N802
        self.server.dispatch(self, "POST")

    def do_PUT(self) -> None:  # noqa: N802
        self.server.dispatch(self, "PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self.server.dispatch(self, "DELETE")


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = FakeState()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def reset(self) -> None:
        self.state = FakeState()

    def dispatch(self, handler: _Handler, method: str) -> None:
        parts = urlsplit(handler.path)
        self.state.requests.append((method, parts.path))
        self.route(handler, method, parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})

    def route(self, handler: _Handler, method: str, path: str, query: dict[str, str]) -> None:
        raise NotImplementedError

    # The authorisation endpoint: the browser would show a consent screen; here the "user" agrees at once.
    def authorize(self, handler: _Handler, query: dict[str, str], *, required: dict[str, str]) -> None:
        for name, value in required.items():
            if query.get(name) != value:
                handler._send(400, {"error": "invalid_request", "error_description": f"bad {name}"})
                return
        code = "4/0A" + secrets.token_urlsafe(16)
        scope = self.state.grant_scope if self.state.grant_scope is not None else query["scope"]
        self.state.codes[code] = Grant(challenge=query["code_challenge"], redirect_uri=query["redirect_uri"], scope=scope)
        target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
        handler._send(302, headers={"Location": target})

    def token(self, handler: _Handler, *, new_refresh_each_time: bool, invalid_grant_text: str) -> None:
        form = handler._form()
        state = self.state
        if form.get("client_id") != CLIENT_ID:
            handler._send(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
            return
        if form.get("client_secret") != CLIENT_SECRET:
            handler._send(400, {"error": "invalid_request", "error_description": "client_secret is missing."})
            return
        if form.get("grant_type") == "authorization_code":
            grant = state.codes.pop(form.get("code", ""), None)
            if (
                grant is None
                or grant.redirect_uri != form.get("redirect_uri")
                or s256(form.get("code_verifier", "")) != grant.challenge
            ):
                handler._send(400, {"error": "invalid_grant", "error_description": "Malformed auth code."})
                return
            handler._send(200, state.issue(grant.scope))
            return
        if form.get("grant_type") == "refresh_token":
            state.refreshes += 1
            old = form.get("refresh_token", "")
            if state.invalid_grant or old not in state.refresh_tokens:
                handler._send(400, {"error": "invalid_grant", "error_description": invalid_grant_text})
                return
            scope = state.refresh_tokens[old]
            if new_refresh_each_time:
                del state.refresh_tokens[old]
                handler._send(200, state.issue(scope))
            else:
                issued = state.issue(scope, refresh=old)
                del issued["refresh_token"]  # Google normally sends none on refresh
                handler._send(200, issued)
            return
        handler._send(400, {"error": "unsupported_grant_type"})

    def misbehaving(self, handler: _Handler, *, throttle_body: dict, error_body: dict) -> bool:
        if self.state.throttle:
            self.state.throttle -= 1
            handler._send(429, throttle_body, {"Retry-After": self.state.retry_after})
            return True
        if self.state.server_error:
            self.state.server_error -= 1
            handler._send(503, error_body)
            return True
        return False


class FakeGoogle(FakeServer):
    """accounts.google.com, oauth2.googleapis.com and the Calendar API v3 under one origin."""

    def settings(self) -> dict[str, str]:
        return {
            "PARLEY_GOOGLE_CLIENT_ID": CLIENT_ID,
            "PARLEY_GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
            "PARLEY_GOOGLE_AUTH_URL": self.base + "/o/oauth2/v2/auth",
            "PARLEY_GOOGLE_TOKEN_URL": self.base + "/token",
            "PARLEY_GOOGLE_API_URL": self.base + "/calendar/v3",
            "PARLEY_GOOGLE_REVOKE_URL": self.base + "/revoke",
        }

    def route(self, handler: _Handler, method: str, path: str, query: dict[str, str]) -> None:
        if path == "/o/oauth2/v2/auth":
            required = {
                "client_id": CLIENT_ID,
                "response_type": "code",
                "code_challenge_method": "S256",
                "access_type": "offline",
            }
            self.authorize(handler, query, required=required)
        elif path == "/token" and method == "POST":
            self.token(handler, new_refresh_each_time=False, invalid_grant_text="Token has been expired or revoked.")
        elif path == "/revoke" and method == "POST":
            token = handler._form().get("token", "")
            self.state.revoked.append(token)
            self.state.refresh_tokens.pop(token, None)
            handler._send(200)
        elif path.startswith("/calendar/v3/"):
            self.api(handler, method, path.removeprefix("/calendar/v3"))
        else:
            handler._send(404, {"error": {"code": 404, "message": "Not Found"}})

    def api(self, handler: _Handler, method: str, path: str) -> None:
        if not handler._bearer_ok():
            envelope = {"errors": [{"domain": "global", "reason": "authError", "message": "Invalid Credentials"}]}
            handler._send(401, {"error": {**envelope, "code": 401, "message": "Invalid Credentials"}})
            return
        throttled = {"error": {"errors": [{"domain": "usageLimits", "reason": "rateLimitExceeded"}], "code": 429}}
        backend = {"error": {"errors": [{"domain": "global", "reason": "backendError"}], "code": 503}}
        if self.misbehaving(handler, throttle_body=throttled, error_body=backend):
            return
        if path == "/freeBusy" and method == "POST":
            body = json.loads(handler._body())
            lo, hi = datetime.fromisoformat(body["timeMin"]), datetime.fromisoformat(body["timeMax"])
            busy = [
                {"start": iso_z(e["start"]), "end": iso_z(e["end"])}
                for e in self.state.events
                if e["end"] > lo and e["start"] < hi and not e.get("error")
            ]
            primary: dict[str, Any] = {"busy": busy}
            if any(e.get("error") for e in self.state.events):
                primary = {"errors": [{"domain": "global", "reason": "internalError"}], "busy": []}
            handler._send(
                200,
                {
                    "kind": "calendar#freeBusy",
                    "timeMin": body["timeMin"],
                    "timeMax": body["timeMax"],
                    "calendars": {"primary": primary},
                },
            )
        elif path == "/calendars/primary/events" and method == "POST":
            event = json.loads(handler._body())
            if event["id"] in self.state.written:
                handler._send(409, {"error": {"errors": [{"domain": "global", "reason": "duplicate"}], "code": 409}})
                return
            self.state.written[event["id"]] = event
            handler._send(200, {"kind": "calendar#event", **event})
        elif path.startswith("/calendars/primary/events/") and method in ("PUT", "DELETE"):
            event_id = path.rsplit("/", 1)[1]
            if method == "PUT":
                self.state.written[event_id] = json.loads(handler._body())
                handler._send(200, self.state.written[event_id])
            elif self.state.written.pop(event_id, None) is None:
                handler._send(404, {"error": {"errors": [{"domain": "global", "reason": "notFound"}], "code": 404}})
            else:
                handler._send(204)
        else:
            handler._send(404, {"error": {"errors": [{"domain": "global", "reason": "notFound"}], "code": 404}})


class FakeMicrosoft(FakeServer):
    """login.microsoftonline.com/common and graph.microsoft.com/v1.0 under one origin."""

    page_size = 2  # small pages so that @odata.nextLink is followed

    def settings(self) -> dict[str, str]:
        return {
            "PARLEY_MICROSOFT_CLIENT_ID": CLIENT_ID,
            "PARLEY_MICROSOFT_CLIENT_SECRET": CLIENT_SECRET,
            "PARLEY_MICROSOFT_AUTH_URL": self.base + "/common/oauth2/v2.0/authorize",
            "PARLEY_MICROSOFT_TOKEN_URL": self.base + "/common/oauth2/v2.0/token",
            "PARLEY_MICROSOFT_API_URL": self.base + "/v1.0",
        }

    def route(self, handler: _Handler, method: str, path: str, query: dict[str, str]) -> None:
        if path == "/common/oauth2/v2.0/authorize":
            required = {
                "client_id": CLIENT_ID,
                "response_type": "code",
                "response_mode": "query",
                "code_challenge_method": "S256",
            }
            self.authorize(handler, query, required=required)
        elif path == "/common/oauth2/v2.0/token" and method == "POST":
            self.token(
                handler,
                new_refresh_each_time=True,
                invalid_grant_text="AADSTS700082: The refresh token has expired due to inactivity.",
            )
        elif path.startswith("/v1.0/"):
            self.api(handler, method, path.removeprefix("/v1.0"), query)
        else:
            handler._send(404, {"error": {"code": "ResourceNotFound", "message": "not found"}})

    def api(self, handler: _Handler, method: str, path: str, query: dict[str, str]) -> None:
        if not handler._bearer_ok():
            handler._send(401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}})
            return
        throttled = {"error": {"code": "TooManyRequests", "message": "Please retry again later.", "innerError": {}}}
        unavailable = {"error": {"code": "ServiceNotAvailable", "message": "Service unavailable", "innerError": {}}}
        if self.misbehaving(handler, throttle_body=throttled, error_body=unavailable):
            return
        if path == "/me/calendarView" and method == "GET":
            self.calendar_view(handler, query)
        elif path == "/me/events" and method == "POST":
            event = json.loads(handler._body())
            event_id = "AAMkAG" + secrets.token_hex(8)
            self.state.written[event_id] = event
            handler._send(201, {"id": event_id, **event})
        elif path == "/me/events" and method == "GET":
            flt = query.get("$filter", "")
            found = [
                {"id": i}
                for i, e in self.state.written.items()
                if any(f"ep/value eq '{p['value']}'" in flt for p in e.get("singleValueExtendedProperties", []))
            ]
            handler._send(200, {"value": found})
        elif path.startswith("/me/events/") and method == "DELETE":
            gone = self.state.written.pop(path.rsplit("/", 1)[1], None)
            handler._send(404 if gone is None else 204, {"error": {"code": "ErrorItemNotFound"}} if gone is None else None)
        else:
            handler._send(404, {"error": {"code": "ResourceNotFound", "message": "not found"}})

    def calendar_view(self, handler: _Handler, query: dict[str, str]) -> None:
        if handler.headers.get("Prefer") != 'outlook.timezone="UTC"' or "start" not in query.get("$select", ""):
            handler._send(400, {"error": {"code": "BadRequest", "message": "test server expects Prefer and $select"}})
            return
        lo, hi = datetime.fromisoformat(query["startDateTime"]), datetime.fromisoformat(query["endDateTime"])
        skip = int(query.get("$skip", "0"))
        matching = [e for e in self.state.events if e["end"] > lo and e["start"] < hi]
        page = matching[skip : skip + self.page_size]
        value = []
        for e in page:
            item = {
                "@odata.etag": 'W/"DwAAABYAAA"',
                "id": "AAMkAG" + secrets.token_hex(6),
                "showAs": e.get("showAs", "busy"),
                "isAllDay": e.get("isAllDay", False),
                "isCancelled": e.get("isCancelled", False),
                "start": {"dateTime": e["start"].strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
                "end": {"dateTime": e["end"].strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
            }
            # A hostile server: content Parley never asked for ($select) must still never be kept.
            item.update({k: v for k, v in e.items() if k in ("subject", "bodyPreview", "location", "attendees")})
            value.append(item)
        body: dict[str, Any] = {"@odata.context": self.base + "/v1.0/$metadata#Collection(event)", "value": value}
        if skip + self.page_size < len(matching):
            body["@odata.nextLink"] = (
                self.base + "/v1.0/me/calendarView?" + urlencode({**query, "$skip": str(skip + self.page_size)})
            )
        handler._send(200, body)


def all_day(day: datetime) -> tuple[datetime, datetime]:
    """Graph reports an all-day event as midnight UTC to midnight UTC, whatever the event's zone."""
    start = day.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=UTC)
    return start, start + timedelta(days=1)
