"""The artifact search of the simulated Govern node: `POST /artifacts/search` as
`GovernArtifactSearchRequest.fetch_next_batch` sends it (dataikuapi `govern/artifact_search.py`).

Body: `artifactSearchSource` ({"type": "all"}), `artifactFilters` (all must hold), optional `artifactSearchSort`,
and `artifactSearchPagination` ({pageSize, lastArtifactId}).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Tuple

from . import errors

if TYPE_CHECKING:  # pragma: no cover - type hints only
    from .govern import Artifact

DEFAULT_PAGE_SIZE = 20  # the client's default
CONDITIONS: Dict[str, Callable[[str, str], bool]] = {
    "EQUALS": lambda value, cond: value == cond,
    "CONTAINS": lambda value, cond: cond in value,
    "START_WITH": lambda value, cond: value.startswith(cond),
    "END_WITH": lambda value, cond: value.endswith(cond),
}


def _texts(value: Any) -> List[str]:
    """The values a field condition tests: a list field matches if any element does [I]; an absent field is ""."""
    if value is None:
        return [""]
    if isinstance(value, list):
        return [_text(v) for v in value] or [""]
    return [_text(value)]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _field_filter(flt: Dict[str, Any]) -> Callable[[Artifact], bool]:
    kind = flt.get("conditionType")
    if kind not in CONDITIONS:
        raise errors.bad_request("Unknown field filter condition type %s" % kind)
    test = CONDITIONS[kind]
    sensitive = bool(flt.get("caseSensitive"))  # not case-sensitive unless asked [V]
    cond = _text(flt.get("condition") if flt.get("condition") is not None else "")  # [U] no condition: ""
    cond = cond if sensitive else cond.lower()
    field_id = flt.get("fieldId")
    negate = bool(flt.get("negateCondition"))

    def holds(art: Artifact) -> bool:
        # no fieldId: the condition is on the name [V]
        values = [art.name] if field_id is None else _texts(art.fields.get(field_id))
        hit = any(test(v if sensitive else v.lower(), cond) for v in values)
        return hit != negate

    return holds


def _filter(flt: Any) -> Callable[[Artifact], bool]:
    if not isinstance(flt, dict):
        raise errors.bad_request("An artifact filter must be an object")
    kind = flt.get("type")
    if kind == "blueprints":
        ids = set(flt.get("blueprintIds") or [])
        return lambda a: a.blueprint_id in ids
    if kind == "blueprintVersions":
        versions = {(v.get("blueprintId"), v.get("versionId")) for v in flt.get("blueprintVersionIds") or []
                    if isinstance(v, dict)}
        return lambda a: (a.blueprint_id, a.version_id) in versions
    if kind == "artifacts":
        wanted = set(flt.get("artifactIds") or [])
        return lambda a: a.id in wanted
    if kind == "archived":
        # [I] isArchived=True: archived ones too; False: not archived ones only. No filter: all of them [U].
        include_archived = bool(flt.get("isArchived"))
        return lambda a: include_archived or not a.archived
    if kind == "field":
        return _field_filter(flt)
    raise errors.bad_request("Unknown artifact filter type %s" % kind)


def _sorted(found: List[Artifact], sort: Any) -> List[Artifact]:
    """Creation order by default [U]; a name sort is honoured, the workflow and field sorts keep creation order [U]."""
    if not isinstance(sort, dict):
        return found
    column = sort.get("column") or {}
    if column.get("type") == "name":
        return sorted(found, key=lambda a: a.name.lower(), reverse=sort.get("direction") == "DESC")
    return found


def search(artifacts: List[Artifact], body: Any) -> Tuple[List[Artifact], bool]:
    """The page of `artifacts` (already only the visible ones, in creation order) that `body` asks for, and
    whether another page follows."""
    if not isinstance(body, dict):
        raise errors.bad_request("A search request must be a JSON object")
    source = body.get("artifactSearchSource") or {"type": "all"}
    if not isinstance(source, dict) or source.get("type") != "all":
        raise errors.bad_request("Unsupported artifact search source %s" % source)  # [U] only "all" exists
    filters = [_filter(f) for f in body.get("artifactFilters") or []]
    found = _sorted([a for a in artifacts if all(f(a) for f in filters)], body.get("artifactSearchSort"))
    paging = body.get("artifactSearchPagination") or {}
    size = paging.get("pageSize", DEFAULT_PAGE_SIZE)
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise errors.bad_request("pageSize must be a positive integer, not %r" % (size,))
    last = paging.get("lastArtifactId")
    if last is not None:
        ids = [a.id for a in found]
        # [U] a last artifact that is not among the hits (any more) gives an empty page, never the first one again
        found = found[ids.index(last) + 1:] if last in ids else []
    return found[:size], len(found) > size
