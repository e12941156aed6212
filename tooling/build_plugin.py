"""Build the installable plugin zip: dist/dss-plugin-<id>-<version>.zip.

DSS installs a plugin from a zip whose root holds plugin.json and the component folders (reference §6.1; Dataiku's
template Makefile runs `git archive` then deletes tests/). This builder works from the work tree instead, with an
explicit allow-list, so nothing from tests/ or tooling/ (simulator, `dataiku` stand-in) can ever ship.

Usage: python tooling/build_plugin.py [--root DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# What DSS reads from a plugin (reference §1.1), plus the docs shown in the plugin store.
INCLUDED_DIRS = ("python-lib", "python-steps", "python-runnables", "parameter-sets", "resource", "code-env")
INCLUDED_FILES = ("plugin.json", "README.md", "LICENSE")
SKIPPED_DIR_NAMES = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
SKIPPED_SUFFIXES = (".pyc", ".pyo")
SKIPPED_FILE_NAMES = {".DS_Store"}

# Descriptors DSS parses: strict JSON here so that standard tools (and this builder) can validate them.
DESCRIPTOR_NAMES = {"plugin.json", "step.json", "runnable.json", "parameter-set.json", "desc.json"}

# A fixed timestamp makes the same tree give the same zip bytes (reproducible builds, comparable checksums).
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


class BuildError(Exception):
    pass


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"duplicate keys {dupes}")
    return dict(pairs)


def load_strict_json(path: Path):
    """Parse `path` as strict JSON: no comments, no NaN/Infinity, no duplicate keys."""
    try:
        return json.loads(
            path.read_text(encoding="utf-8"),
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_reject_constant,
        )
    except ValueError as e:
        raise BuildError(f"{path}: not strict JSON: {e}") from e


def read_plugin_identity(root: Path) -> tuple[str, str]:
    """(id, version) from plugin.json, validated the way DSS and the template Makefile need them."""
    manifest = root / "plugin.json"
    if not manifest.is_file():
        raise BuildError(f"No plugin.json in {root}")
    data = load_strict_json(manifest)
    plugin_id, version = data.get("id"), data.get("version")
    if not isinstance(plugin_id, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", plugin_id):
        raise BuildError(f"plugin.json: id must be made of A-Za-z0-9_- only, got {plugin_id!r}")
    if not isinstance(version, str) or not re.fullmatch(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?", version):
        raise BuildError(f"plugin.json: version must be semantic (x.y.z), got {version!r}")
    return plugin_id, version


def _skipped(rel: Path) -> bool:
    return (
        any(part in SKIPPED_DIR_NAMES for part in rel.parts)
        or rel.name.endswith(SKIPPED_SUFFIXES)
        or rel.name in SKIPPED_FILE_NAMES
    )


def collect_entries(root: Path) -> list[str]:
    """Sorted zip entry names (POSIX, relative to root); folders end with '/' so empty ones still exist in DSS."""
    entries = [name for name in INCLUDED_FILES if (root / name).is_file()]
    for top in INCLUDED_DIRS:
        base = root / top
        if not base.is_dir():
            continue
        entries.append(top + "/")
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(root)
            if _skipped(rel):
                continue
            entries.append(rel.as_posix() + ("/" if path.is_dir() else ""))
    return sorted(entries)


def validate_descriptors(root: Path, entries: list[str]) -> None:
    for name in entries:
        if not name.endswith("/") and name.rsplit("/", 1)[-1] in DESCRIPTOR_NAMES:
            load_strict_json(root / name)


def build(root: Path, out_dir: Path) -> Path:
    """Write the zip and return its path."""
    root = root.resolve()
    plugin_id, version = read_plugin_identity(root)
    entries = collect_entries(root)
    validate_descriptors(root, entries)

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"dss-plugin-{plugin_id}-{version}.zip"
    tmp = target.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in entries:
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            if name.endswith("/"):
                info.external_attr = 0o40755 << 16 | 0x10  # directory, drwxr-xr-x
                zf.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16  # regular file, rw-r--r--
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, (root / name).read_bytes())
    # A failed build never leaves a truncated zip under the final name.
    tmp.replace(target)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build the DSS plugin zip.")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="plugin repository root (default: this repo)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: <root>/dist)")
    args = parser.parse_args(argv)
    out_dir = args.out if args.out is not None else args.root / "dist"
    try:
        path = build(args.root, out_dir)
    except BuildError as e:
        print(f"build_plugin: {e}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
