"""DSS-like API errors: an exception carrying the HTTP status and the JSON error body the client parses.

`dataikuapi.utils.handle_http_exception` reads `errorType` and `detailedMessage` (falling back to `message`) and
raises `DataikuException("<errorType>: <detailedMessage>")`, so every error answer carries all three keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict

# [I] Java exception class names seen in real DSS error bodies (third-party clients match on them). They are
# gathered here so a real instance that disagrees is corrected in one place.
NOT_AUTHENTICATED = "com.dataiku.dip.exceptions.NotAuthenticatedException"
UNAUTHORIZED = "com.dataiku.dip.exceptions.UnauthorizedException"
NOT_FOUND = "com.dataiku.dip.exceptions.NotFoundException"
ILLEGAL_ARGUMENT = "com.dataiku.dip.exceptions.DSSIllegalArgumentException"
ILLEGAL_STATE = "java.lang.IllegalStateException"
UNKNOWN_ERROR = "com.dataiku.dip.exceptions.UnknownErrorException"


@dataclass
class DSSError(Exception):
    status: int
    error_type: str
    message: str

    def __str__(self) -> str:
        return "%s %s: %s" % (self.status, self.error_type, self.message)

    def body(self) -> Dict[str, Any]:
        # `handle_http_exception` reads errorType and detailedMessage (else message).
        return {"errorType": self.error_type, "message": self.message, "detailedMessage": self.message,
                "stackTraceStr": ""}


def unauthenticated(message: str = "Unknown API key or ticket") -> DSSError:
    return DSSError(401, NOT_AUTHENTICATED, message)


def forbidden(message: str) -> DSSError:
    return DSSError(403, UNAUTHORIZED, "Action forbidden: " + message)


def not_found(kind: str, ident: str) -> DSSError:
    return DSSError(404, NOT_FOUND, "%s does not exist: %s" % (kind, ident))


def bad_request(message: str) -> DSSError:
    return DSSError(400, ILLEGAL_ARGUMENT, message)


def conflict(message: str) -> DSSError:
    return DSSError(400, ILLEGAL_STATE, message)
