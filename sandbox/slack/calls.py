"""One Web API call as the emulator sees it: arguments, caller's token, Slack-style errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.slack.state import SlackWorkspace, TokenGrant

JsonDict = dict[str, Any]


class SlackApiError(Exception):
    """Answered as ``{"ok": false, "error": <error>, **extra}`` with HTTP 200."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> JsonDict:
        return {"ok": False, "error": self.error, **self.extra}


@dataclass(frozen=True, slots=True)
class ApiCall:
    """Arguments merged from the query string, a JSON body or a form body."""

    method: str
    args: JsonDict
    grant: TokenGrant | None
    base_url: str
    authorization: str | None = None

    def str_arg(self, name: str) -> str | None:
        value = self.args.get(name)
        if value is None or value == "":
            return None
        return str(value)

    def required(self, name: str, error: str = "invalid_arguments") -> str:
        value = self.str_arg(name)
        if value is None:
            raise SlackApiError(error)
        return value

    def bool_arg(self, name: str) -> bool:
        value = self.args.get(name)
        if isinstance(value, bool):
            return value
        return str(value).lower() in {"1", "true"}

    def json_arg(self, name: str, error: str) -> Any:
        """An argument that may arrive as JSON text (form, query) or as JSON (JSON body)."""
        value = self.args.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise SlackApiError(error) from exc

    def bot(self) -> TokenGrant:
        """The caller's grant; every method but ``oauth.v2.access`` has one."""
        if self.grant is None:
            raise SlackApiError("not_authed")
        return self.grant

    def need_scope(self, *scopes: str) -> None:
        granted = self.bot().scopes
        if not any(scope in granted for scope in scopes):
            raise SlackApiError("missing_scope", needed=scopes[0], provided=",".join(granted))


MethodFn = Callable[[SlackWorkspace, ApiCall], JsonDict]
