"""Lint of the plugin's descriptors: plugin.json, step.json, runnable.json, parameter-set.json.

DSS publishes no JSON schema for them (reference §6.4) and only reports a broken plugin at install time, so these
checks encode what the reference establishes (§1-§3): strict JSON, required keys, known param types, references
that resolve (presets, Python setup files, visibility conditions), unique ids. Descriptors are discovered, so new
components are checked as soon as their folder exists. The checker is tested on throwaway trees at the bottom.
"""

from __future__ import annotations

import json
import keyword
import re
from pathlib import Path

import build_plugin
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# Reference §2.1 (DSS form engine `ng-switch-when` list + newer types in params.rst), legacy aliases included.
KNOWN_PARAM_TYPES = frozenset(
    {
        "STRING", "TEXTAREA", "PASSWORD", "INT", "DOUBLE", "BOOLEAN", "DATE", "STRINGS", "INTS", "DOUBLES",
        "SELECT", "MULTISELECT", "MAP", "KEY_VALUE_LIST", "ARRAY", "OBJECT_LIST",
        "PROJECT", "SCENARIO", "DATASET", "DATASETS", "DATASET_COLUMN", "DATASET_COLUMNS", "COLUMN", "COLUMNS",
        "MANAGED_FOLDER", "FOLDER", "SAVED_MODEL", "MODEL", "API_SERVICE", "API_SERVICE_VERSION", "BUNDLE", "CLUSTER",
        "CODE_ENV", "CONNECTION", "CONNECTIONS", "PLUGIN", "VISUAL_ANALYSIS", "ML_TASK", "LLM", "KNOWLEDGE_BANK",
        "PRESET", "PRESETS", "CREDENTIAL_REQUEST", "SEPARATOR",
    }
)
# Reference §3.1.
RESULT_TYPES = frozenset({"NONE", "HTML", "URL", "RESULT_TABLE", "FILE", "FOLDER_FILE", "JSON_OBJECT"})
MACRO_ROLE_TYPES = frozenset(
    {
        "DATASET", "DATASETS", "API_SERVICE", "API_SERVICE_VERSION", "API_SERVICE_PACKAGE", "BUNDLE",
        "VISUAL_ANALYSIS", "SAVED_MODEL", "MANAGED_FOLDER", "PROJECT_MACROS", "PROJECT_CREATOR",
    }
)
MACRO_PERMISSIONS = frozenset({"ADMIN", "READ_CONF", "WRITE_CONF"})

# Component kind (folder) -> (descriptor file, code file DSS runs next to it).
KINDS = {
    "python-steps": ("step.json", "step.py"),
    "python-runnables": ("runnable.json", "runnable.py"),
    "parameter-sets": ("parameter-set.json", None),
}

ID_RE = re.compile(r"[A-Za-z0-9_-]+")
SEMVER_RE = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
# A name that says "secret": the product brief wants those only in PASSWORD or preset fields, never in clear text.
SECRET_NAME_RE = re.compile(r"(?:^|_)(?:api_?key|apikey|password|passwd|secret|token)(?:$|_)", re.IGNORECASE)
CLEAR_TEXT_TYPES = frozenset({"STRING", "TEXTAREA", "STRINGS", "MAP", "KEY_VALUE_LIST"})
MODEL_REF_RES = (
    re.compile(r"\bmodel\.([A-Za-z_$][\w$]*)"),
    re.compile(r"""\bmodel\[\s*['"]([^'"]+)['"]\s*\]"""),
)


# --- loading ---------------------------------------------------------------------------------------------------


def load_strict_json(path: Path):
    """Strict JSON: DSS tolerates comments, but the build and standard tools do not (reference §1.1)."""
    try:
        return build_plugin.load_strict_json(path)
    except build_plugin.BuildError as error:
        raise ValueError(str(error)) from error


def discover_descriptors(root: Path) -> list[Path]:
    """plugin.json plus the descriptor every component folder must have (listed even when missing)."""
    found = [root / "plugin.json"]
    for kind, (descriptor, _code) in KINDS.items():
        base = root / kind
        if base.is_dir():
            folders = [d for d in sorted(base.iterdir()) if d.is_dir() and not d.name.startswith((".", "__"))]
            found += [d / descriptor for d in folders]
    return found


def component_ids(root: Path) -> dict[str, list[str]]:
    """Component id (folder name) -> the kinds that use it."""
    ids: dict[str, list[str]] = {}
    for path in discover_descriptors(root)[1:]:
        ids.setdefault(path.parent.name, []).append(path.parent.parent.name)
    return ids


# --- checks ----------------------------------------------------------------------------------------------------


def _nonempty_str(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _choice_values(param: dict):
    choices = param.get("selectChoices")
    if isinstance(choices, list):
        return [c.get("value") for c in choices if isinstance(c, dict)]
    return None


def check_param(param, where: str, ctx: dict) -> list[str]:
    """Errors of one param. ctx: root, names (of the component), allow_credential_request, has_python_setup."""
    if not isinstance(param, dict):
        return [f"{where}: a param must be an object, got {param!r}"]
    ptype = param.get("type")
    name = param.get("name")
    label = f"{where} {name or param.get('label') or '?'!s}"
    errors = []
    if ptype not in KNOWN_PARAM_TYPES:
        errors.append(f"{label}: unknown type {ptype!r}")
    if ptype == "SEPARATOR":
        if not _nonempty_str(param.get("label")):
            errors.append(f"{label}: a SEPARATOR needs a label")
        return errors
    if not (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)):
        errors.append(f"{label}: name must be a valid identifier, got {name!r}")
    for key in ("label", "description"):
        if not _nonempty_str(param.get(key)):
            errors.append(f"{label}: missing {key}")
    if "mandatory" in param and not isinstance(param["mandatory"], bool):
        errors.append(f"{label}: mandatory must be true or false")

    if ptype in ("SELECT", "MULTISELECT"):
        values = _choice_values(param)
        if param.get("getChoicesFromPython") is True:
            if not ctx.get("has_python_setup"):
                errors.append(f"{label}: getChoicesFromPython needs paramsPythonSetup in the component")
        elif not values or any(not isinstance(c, dict) or "value" not in c or "label" not in c
                               for c in param.get("selectChoices", [])):
            errors.append(f"{label}: {ptype} needs selectChoices [{{value, label}}, ...] or getChoicesFromPython")
        if values and "defaultValue" in param:
            default = param["defaultValue"]
            defaults = default if ptype == "MULTISELECT" and isinstance(default, list) else [default]
            bad = [d for d in defaults if d not in values]
            if bad:
                errors.append(f"{label}: defaultValue {bad!r} is not one of the choices {values!r}")
    if ptype in ("PRESET", "PRESETS"):
        set_id = param.get("parameterSetId")
        if not _nonempty_str(set_id) or not (ctx["root"] / "parameter-sets" / set_id / "parameter-set.json").is_file():
            errors.append(f"{label}: parameterSetId {set_id!r} is not a parameter set of this plugin")
    if ptype == "CREDENTIAL_REQUEST" and not ctx.get("allow_credential_request"):
        errors.append(f"{label}: CREDENTIAL_REQUEST is only accepted in a parameter set's params")
    if ptype == "OBJECT_LIST":
        sub = param.get("subParams")
        if not isinstance(sub, list):
            errors.append(f"{label}: OBJECT_LIST needs a subParams list")
        else:
            errors += check_params(sub, f"{label}.subParams", dict(ctx, names=None))

    default = param.get("defaultValue")
    if default is not None:
        expected = {"BOOLEAN": bool, "INT": int, "DOUBLE": (int, float), "STRING": str, "TEXTAREA": str}.get(ptype)
        # bool is an int in Python, not in DSS's form engine.
        is_bool_number = ptype in ("INT", "DOUBLE") and isinstance(default, bool)
        if expected and (not isinstance(default, expected) or is_bool_number):
            errors.append(f"{label}: defaultValue {default!r} does not fit type {ptype}")
        if ptype == "PASSWORD":
            errors.append(f"{label}: a PASSWORD must not have a defaultValue")
    if isinstance(name, str) and SECRET_NAME_RE.search(name) and ptype in CLEAR_TEXT_TYPES:
        errors.append(f"{label}: looks like a secret but is a clear-text {ptype}; use PASSWORD or a preset")

    names = ctx.get("names")
    if names is not None:
        for ref_key in ("triggerParameters",):
            for ref in param.get(ref_key) or []:
                if ref not in names:
                    errors.append(f"{label}: {ref_key} names unknown param {ref!r}")
        for ref_key in ("datasetParamName", "apiServiceParamName"):
            if ref_key in param and param[ref_key] not in names:
                errors.append(f"{label}: {ref_key} names unknown param {param[ref_key]!r}")
        condition = param.get("visibilityCondition")
        if condition is not None:
            if not isinstance(condition, str):
                errors.append(f"{label}: visibilityCondition must be a string")
            else:
                refs = {m for rx in MODEL_REF_RES for m in rx.findall(condition)}
                unknown = sorted(refs - names)
                if unknown:
                    errors.append(f"{label}: visibilityCondition {condition!r} names unknown params {unknown}")
    return errors


def check_params(params, where: str, ctx: dict) -> list[str]:
    if not isinstance(params, list):
        return [f"{where}: params must be a list"]
    errors = []
    seen: set[str] = set()
    for param in params:
        name = param.get("name") if isinstance(param, dict) else None
        if name is not None:
            if name in seen:
                errors.append(f"{where}: duplicate param name {name!r}")
            seen.add(name)
        errors += check_param(param, where, ctx)
    return errors


def _param_names(*lists) -> set[str]:
    return {p["name"] for params in lists if isinstance(params, list) for p in params
            if isinstance(p, dict) and isinstance(p.get("name"), str)}


def check_plugin_json(data, root: Path) -> list[str]:
    if not isinstance(data, dict):
        return ["plugin.json: must be an object"]
    errors = []
    plugin_id, version = data.get("id"), data.get("version")
    if not (isinstance(plugin_id, str) and ID_RE.fullmatch(plugin_id)):
        errors.append(f"plugin.json: id must use only A-Za-z0-9_-, got {plugin_id!r}")
    if not (isinstance(version, str) and SEMVER_RE.fullmatch(version)):
        errors.append(f"plugin.json: version must be semantic (x.y.z), got {version!r}")
    meta = data.get("meta")
    if not isinstance(meta, dict):
        return [*errors, "plugin.json: missing meta"]
    for key in ("label", "description", "author", "icon", "category", "licenseInfo"):
        if not _nonempty_str(meta.get(key)):
            errors.append(f"plugin.json: missing meta.{key}")
    tags = meta.get("tags")
    if not (isinstance(tags, list) and tags and all(_nonempty_str(t) for t in tags)):
        errors.append("plugin.json: meta.tags must be a non-empty list of strings")
    params = data.get("params", [])
    ctx = {"root": root, "names": _param_names(params), "has_python_setup": False}
    errors += check_params(params, "plugin.json params", ctx)
    return errors


def check_component(kind: str, path: Path, data, root: Path) -> list[str]:
    where = path.relative_to(root).as_posix()
    if not isinstance(data, dict):
        return [f"{where}: must be an object"]
    errors = []
    component_id = path.parent.name
    if not ID_RE.fullmatch(component_id):
        errors.append(f"{where}: component id {component_id!r} must use only A-Za-z0-9_-")
    code_file = KINDS[kind][1]
    if code_file and not (path.parent / code_file).is_file():
        errors.append(f"{where}: no {code_file} next to it")
    meta = data.get("meta")
    if not isinstance(meta, dict):
        errors.append(f"{where}: missing meta")
    else:
        for key in ("label", "description"):
            if not _nonempty_str(meta.get(key)):
                errors.append(f"{where}: missing meta.{key}")
    if not isinstance(data.get("params"), list):
        errors.append(f"{where}: params must be a list")
    setup = data.get("paramsPythonSetup")
    if setup is not None and not (_nonempty_str(setup) and (root / "resource" / setup).is_file()):
        errors.append(f"{where}: paramsPythonSetup {setup!r} is not a file under resource/")

    ctx = {"root": root, "has_python_setup": setup is not None, "allow_credential_request": False}
    if kind == "python-runnables":
        # adminParams are merged into the macro's config (reference §3.1): one namespace with params.
        names = _param_names(data.get("params"), data.get("adminParams"))
        errors += check_params(data.get("params", []) + _as_list(data.get("adminParams")), where,
                               dict(ctx, names=names))
        errors += _check_runnable_keys(data, where, names)
    elif kind == "parameter-sets":
        errors += check_params(data.get("params", []), where,
                               dict(ctx, names=_param_names(data.get("params")), allow_credential_request=True))
        errors += check_params(data.get("pluginParams", []), f"{where} pluginParams",
                               dict(ctx, names=_param_names(data.get("pluginParams"))))
        for key in ("defaultDefinableInline", "defaultDefinableAtProjectLevel"):
            if key in data and not isinstance(data[key], bool):
                errors.append(f"{where}: {key} must be true or false")
    else:
        errors += check_params(data.get("params", []), where, dict(ctx, names=_param_names(data.get("params"))))
    return errors


def _as_list(value) -> list:
    return value if isinstance(value, list) else []


def _check_runnable_keys(data: dict, where: str, names: set[str]) -> list[str]:
    errors = []
    result_type = data.get("resultType")
    if result_type not in RESULT_TYPES:
        errors.append(f"{where}: resultType {result_type!r} is not one of {sorted(RESULT_TYPES)}")
    if result_type == "FILE" and not (data.get("extension") and data.get("mimeType")):
        errors.append(f"{where}: a FILE result needs extension and mimeType")
    if "adminParams" in data and not isinstance(data["adminParams"], list):
        errors.append(f"{where}: adminParams must be a list")
    roles = data.get("macroRoles", [])
    if not isinstance(roles, list):
        errors.append(f"{where}: macroRoles must be a list")
        roles = []
    for role in roles:
        if not isinstance(role, dict) or role.get("type") not in MACRO_ROLE_TYPES:
            errors.append(f"{where}: macroRoles type {role!r} is not one of {sorted(MACRO_ROLE_TYPES)}")
            continue
        keys = ([role["targetParamsKey"]] if "targetParamsKey" in role else []) + _as_list(role.get("targetParamsKeys"))
        for key in keys:
            if key not in names:
                errors.append(f"{where}: macroRoles {role['type']} targets unknown param {key!r}")
    permissions = data.get("permissions", [])
    if not isinstance(permissions, list) or not set(permissions) <= MACRO_PERMISSIONS:
        errors.append(f"{where}: permissions {permissions!r} must be a subset of {sorted(MACRO_PERMISSIONS)}")
    for key in ("impersonate", "requiresGlobalAdmin"):
        if key in data and not isinstance(data[key], bool):
            errors.append(f"{where}: {key} must be true or false")
    return errors


def check_descriptor(path: Path, root: Path) -> list[str]:
    """All errors of one descriptor file (plugin.json or a component's)."""
    where = path.relative_to(root).as_posix()
    if not path.is_file():
        return [f"{where}: missing (every component folder needs its descriptor)"]
    try:
        data = load_strict_json(path)
    except ValueError as e:
        return [f"{where}: not strict JSON: {e}"]
    if path == root / "plugin.json":
        return check_plugin_json(data, root)
    return check_component(path.parent.parent.name, path, data, root)


def check_unique_component_ids(root: Path) -> list[str]:
    return [f"component id {cid!r} is used by several components: {kinds}"
            for cid, kinds in sorted(component_ids(root).items()) if len(kinds) > 1]


def check_plugin_tree(root: Path) -> list[str]:
    errors = check_unique_component_ids(root)
    for path in discover_descriptors(root):
        errors += check_descriptor(path, root)
    return errors


# --- the real plugin -------------------------------------------------------------------------------------------

REPO_DESCRIPTORS = discover_descriptors(REPO_ROOT)


@pytest.mark.parametrize("path", REPO_DESCRIPTORS, ids=[p.relative_to(REPO_ROOT).as_posix() for p in REPO_DESCRIPTORS])
def test_descriptor(path):
    assert check_descriptor(path, REPO_ROOT) == []


def test_component_ids_unique():
    assert check_unique_component_ids(REPO_ROOT) == []


def test_discovery_sees_the_known_descriptors():
    names = {p.relative_to(REPO_ROOT).as_posix() for p in REPO_DESCRIPTORS}
    assert {"plugin.json", "parameter-sets/dss-node/parameter-set.json"} <= names


# --- the checker itself, on throwaway plugins ------------------------------------------------------------------


def _write(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2), encoding="utf-8")


GOOD_PLUGIN = {
    "id": "tmp-plugin", "version": "1.2.3",
    "meta": {"label": "L", "description": "D", "author": "A", "icon": "icon-check", "category": "C",
             "tags": ["T"], "licenseInfo": "Apache"},
    "params": [],
}
GOOD_SET = {
    "meta": {"label": "Node", "description": "A node"},
    "defaultDefinableInline": False, "defaultDefinableAtProjectLevel": True, "pluginParams": [],
    "params": [
        {"name": "url", "label": "URL", "type": "STRING", "description": "d"},
        {"name": "api_key", "label": "Key", "type": "PASSWORD", "description": "d"},
    ],
}
GOOD_STEP = {
    "meta": {"label": "Step", "description": "A step"},
    "paramsPythonSetup": "choices.py",
    "params": [
        {"type": "SEPARATOR", "label": "Target"},
        {"name": "node", "label": "Node", "type": "PRESET", "parameterSetId": "node", "description": "d"},
        {"name": "mode", "label": "Mode", "type": "SELECT", "description": "d", "defaultValue": "a",
         "selectChoices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
        {"name": "dep", "label": "Deployment", "type": "SELECT", "description": "d", "getChoicesFromPython": True,
         "triggerParameters": ["node"]},
        {"name": "n", "label": "N", "type": "INT", "description": "d", "defaultValue": 3,
         "visibilityCondition": "model.mode == 'b' && !model['dep']"},
    ],
}
GOOD_MACRO = {
    "meta": {"label": "Macro", "description": "A macro"},
    "resultType": "HTML", "impersonate": True, "permissions": ["READ_CONF"],
    "macroRoles": [{"type": "PROJECT_MACROS"}, {"type": "BUNDLE", "targetParamsKey": "bundle"}],
    "params": [{"name": "bundle", "label": "Bundle", "type": "STRING", "description": "d"}],
    "adminParams": [{"name": "all", "label": "All", "type": "BOOLEAN", "description": "d", "defaultValue": False}],
}


@pytest.fixture
def plugin(tmp_path):
    """A small valid plugin; returns (root, writer) so a test can break one file."""
    _write(tmp_path / "plugin.json", GOOD_PLUGIN)
    _write(tmp_path / "parameter-sets/node/parameter-set.json", GOOD_SET)
    _write(tmp_path / "python-steps/step1/step.json", GOOD_STEP)
    _write(tmp_path / "python-steps/step1/step.py", "pass\n")
    _write(tmp_path / "python-runnables/macro1/runnable.json", GOOD_MACRO)
    _write(tmp_path / "python-runnables/macro1/runnable.py", "pass\n")
    _write(tmp_path / "resource/choices.py", "def do(payload, config, plugin_config, inputs):\n    return {}\n")
    return tmp_path


def test_checker_accepts_a_good_plugin(plugin):
    assert len(discover_descriptors(plugin)) == 4
    assert check_plugin_tree(plugin) == []


def _edit(data: dict, path: str, value) -> dict:
    """A deep copy of `data` with `value` at dotted `path` (list indexes allowed); value None deletes the key."""
    data = json.loads(json.dumps(data))
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    key = int(last) if isinstance(node, list) else last
    if value is None:
        del node[key]
    else:
        node[key] = value
    return data


STEP = "python-steps/step1/step.json"
MACRO = "python-runnables/macro1/runnable.json"
SET = "parameter-sets/node/parameter-set.json"
BAD_CASES = {
    "plugin id": ("plugin.json", _edit(GOOD_PLUGIN, "id", "bad id!"), "id must use only"),
    "plugin version": ("plugin.json", _edit(GOOD_PLUGIN, "version", "1.0"), "version must be semantic"),
    "plugin author": ("plugin.json", _edit(GOOD_PLUGIN, "meta.author", None), "missing meta.author"),
    "plugin tags": ("plugin.json", _edit(GOOD_PLUGIN, "meta.tags", "x"), "meta.tags"),
    "comments": (STEP, "// a comment\n" + json.dumps(GOOD_STEP), "not strict JSON"),
    "duplicate key": (STEP, '{"meta": {}, "meta": {}, "params": []}', "duplicate keys"),
    "step label": (STEP, _edit(GOOD_STEP, "meta.label", None), "missing meta.label"),
    "step params": (STEP, _edit(GOOD_STEP, "params", None), "params must be a list"),
    "unknown type": (STEP, _edit(GOOD_STEP, "params.2.type", "CHOICE"), "unknown type 'CHOICE'"),
    "bad name": (STEP, _edit(GOOD_STEP, "params.2.name", "my-mode"), "valid identifier"),
    "no description": (STEP, _edit(GOOD_STEP, "params.2.description", None), "missing description"),
    "separator label": (STEP, _edit(GOOD_STEP, "params.0.label", None), "SEPARATOR needs a label"),
    "no choices": (STEP, _edit(GOOD_STEP, "params.2.selectChoices", None), "needs selectChoices"),
    "bad default": (STEP, _edit(GOOD_STEP, "params.2.defaultValue", "z"), "not one of the choices"),
    "unknown preset": (STEP, _edit(GOOD_STEP, "params.1.parameterSetId", "nope"), "parameterSetId 'nope'"),
    "missing setup": (STEP, _edit(GOOD_STEP, "paramsPythonSetup", "gone.py"), "not a file under resource/"),
    "python choices w/o setup": (STEP, _edit(GOOD_STEP, "paramsPythonSetup", None), "needs paramsPythonSetup"),
    "visibility": (STEP, _edit(GOOD_STEP, "params.4.visibilityCondition", "model.other > 1"), "['other']"),
    "visibility brackets": (STEP, _edit(GOOD_STEP, "params.4.visibilityCondition", "model['x']"), "['x']"),
    "trigger": (STEP, _edit(GOOD_STEP, "params.3.triggerParameters", ["ghost"]), "unknown param 'ghost'"),
    "duplicate name": (STEP, _edit(GOOD_STEP, "params.4.name", "mode"), "duplicate param name 'mode'"),
    "int default": (STEP, _edit(GOOD_STEP, "params.4.defaultValue", "3"), "does not fit type INT"),
    "secret in clear": (STEP, _edit(GOOD_STEP, "params.4", {"name": "api_key", "label": "K", "type": "STRING",
                                                            "description": "d"}), "looks like a secret"),
    "credential in step": (STEP, _edit(GOOD_STEP, "params.4.type", "CREDENTIAL_REQUEST"), "only accepted"),
    "result type": (MACRO, _edit(GOOD_MACRO, "resultType", "TABLE"), "resultType 'TABLE'"),
    "no result type": (MACRO, _edit(GOOD_MACRO, "resultType", None), "resultType None"),
    "macro role": (MACRO, _edit(GOOD_MACRO, "macroRoles.0.type", "PROJECT"), "macroRoles type"),
    "macro role target": (MACRO, _edit(GOOD_MACRO, "macroRoles.1.targetParamsKey", "b"), "unknown param 'b'"),
    "admin/param clash": (MACRO, _edit(GOOD_MACRO, "adminParams.0.name", "bundle"), "duplicate param name"),
    "permissions": (MACRO, _edit(GOOD_MACRO, "permissions", ["ROOT"]), "permissions"),
    "password default": (SET, _edit(GOOD_SET, "params.1.defaultValue", "k"), "PASSWORD must not have"),
    "set inline flag": (SET, _edit(GOOD_SET, "defaultDefinableInline", "no"), "defaultDefinableInline"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_checker_rejects(plugin, case):
    rel, content, expected = BAD_CASES[case]
    _write(plugin / rel, content)
    errors = check_plugin_tree(plugin)
    assert any(expected in e for e in errors), errors


def test_checker_flags_missing_descriptor_and_code(plugin):
    (plugin / "python-steps/step2").mkdir()
    (plugin / "python-runnables/macro1/runnable.py").unlink()
    errors = check_plugin_tree(plugin)
    assert any("step2/step.json: missing" in e for e in errors), errors
    assert any("no runnable.py" in e for e in errors), errors


def test_checker_flags_duplicate_component_ids(plugin):
    _write(plugin / "python-runnables/step1/runnable.json", GOOD_MACRO)
    _write(plugin / "python-runnables/step1/runnable.py", "pass\n")
    assert check_unique_component_ids(plugin) == [
        "component id 'step1' is used by several components: ['python-steps', 'python-runnables']"
    ]


def test_checker_reads_object_list_sub_params(plugin):
    sub = [{"name": "x", "type": "NOPE", "label": "X", "description": "d"}]
    step = _edit(GOOD_STEP, "params.4", {"name": "rows", "label": "Rows", "type": "OBJECT_LIST", "description": "d",
                                         "subParams": sub})
    _write(plugin / STEP, step)
    assert any("unknown type 'NOPE'" in e for e in check_plugin_tree(plugin))
