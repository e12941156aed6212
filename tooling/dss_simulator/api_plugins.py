"""Public API: a plugin's settings, the instance-level ones (admins) and a project's (its presets only).

[I] Shapes as `dataikuapi.dss.plugin` reads them: presets carry a `type` that matches the `elementType` of their
parameter set's entry in `accessibleParameterSetDescs`. The simulator keeps the presets of every plugin in one
namespace per node (`node.plugin_presets`) and per project (`project.plugin_presets`); each is offered for every
parameter set of the installed plugin.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

from . import errors
from .web import PUBLIC, Call, Router


def register(router: Router) -> None:
    router.add("GET", PUBLIC + "/plugins/<plugin_id>/settings", get_settings)


def _parameter_sets(root: Path, plugin_id: str) -> List[Dict[str, Any]]:
    sets = []
    for path in sorted((root / "parameter-sets").glob("*/parameter-set.json")):
        desc = json.loads(path.read_text(encoding="utf-8"))
        set_id = path.parent.name
        sets.append({"id": set_id, "elementType": "parameter-set-%s-%s" % (plugin_id, set_id),
                     "desc": desc.get("meta", {})})
    return sets


def _presets(presets: Dict[str, Dict[str, Any]], sets: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [{"name": name, "type": s["elementType"], "config": dict(params), "pluginConfig": {}}
            for s in sets for name, params in sorted(presets.items())]


def get_settings(call: Call, plugin_id: str) -> Dict[str, Any]:
    plugin = call.node.plugins.get(plugin_id)
    if plugin is None:
        raise errors.not_found("Plugin", plugin_id)
    sets = _parameter_sets(plugin.root, plugin_id)
    project_key = call.request.args.get("projectKey")
    if project_key:
        project = call.node.checked_project(call.principal, project_key)
        return {"presets": _presets(project.plugin_presets, sets), "accessibleParameterSetDescs": sets}
    if call.principal is not None:
        call.principal.check_global("the settings of plugin %s" % plugin_id)
    return {"codeEnvName": None, "presets": _presets(call.node.plugin_presets, sets),
            "parameterSets": [{"name": s["id"], "type": s["elementType"]} for s in sets],
            "accessibleParameterSetDescs": sets}
