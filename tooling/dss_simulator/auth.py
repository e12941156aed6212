"""API keys and internal tickets: who is calling, and which projects they may touch."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Iterable, Optional

from . import errors

TICKET_HEADER = "X-DKU-APITicket"


@dataclass(frozen=True)
class Principal:
    """A resolved caller. `projects=None` means every project (and global rights, e.g. on the Deployer)."""

    user: str
    projects: Optional[FrozenSet[str]]
    ticket: bool = False
    run: Any = None  # the scenario run a ticket is bound to

    @property
    def is_global(self) -> bool:
        return self.projects is None

    def can_access(self, project_key: str) -> bool:
        return self.projects is None or project_key in self.projects

    def check_project(self, project_key: str) -> None:
        if not self.can_access(project_key):
            raise errors.forbidden("user %s may not access project %s" % (self.user, project_key))

    def check_global(self, what: str) -> None:
        if not self.is_global:
            raise errors.forbidden("user %s has no global rights for %s" % (self.user, what))


def _frozen(projects: Optional[Iterable[str]]) -> Optional[FrozenSet[str]]:
    return None if projects is None else frozenset(projects)


class AuthRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: Dict[str, Principal] = {}
        self._tickets: Dict[str, Principal] = {}

    def add_key(self, key: str, user: str, projects: Optional[Iterable[str]] = None) -> str:
        with self._lock:
            self._keys[key] = Principal(user, _frozen(projects))
        return key

    def new_key(self, user: str, projects: Optional[Iterable[str]] = None) -> str:
        return self.add_key(secrets.token_urlsafe(24), user, projects)

    def add_ticket(self, user: str, run: Any, projects: Optional[Iterable[str]] = None) -> str:
        ticket = "tkt-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tickets[ticket] = Principal(user, _frozen(projects), ticket=True, run=run)
        return ticket

    def revoke_ticket(self, ticket: str) -> None:
        with self._lock:
            self._tickets.pop(ticket, None)

    def resolve(self, basic_username: Optional[str], ticket: Optional[str]) -> Principal:
        """HTTP Basic with the key as user name, or the internal ticket header. Unknown or missing -> 401."""
        with self._lock:
            if basic_username:
                principal = self._keys.get(basic_username)
            elif ticket:
                principal = self._tickets.get(ticket)
            else:
                raise errors.unauthenticated("No API key or ticket provided")
        if principal is None:
            raise errors.unauthenticated("Unknown API key or ticket")
        return principal
