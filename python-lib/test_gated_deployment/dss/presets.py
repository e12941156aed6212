"""A plugin's presets of one parameter set, those of the instance and those of a project: their names and values.

[I] Reading the instance-level settings of a plugin needs DSS administrator rights; a project's plugin settings need
rights on that project. A list that cannot be read is reported as such, never taken as empty.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..errors import PluginError
from .answers import DSSCallError, dss_call
from .transport import DSSClient


@dataclass(frozen=True)
class PresetNames:
    names: Tuple[str, ...]
    unread: Tuple[str, ...]   # each list that could not be read, with why
    # Each preset's values as DSS gave them ([U] whether DSS gives a PASSWORD value back is not known).
    configs: Dict[str, Dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)

    def missing(self, wanted: List[str]) -> List[str]:
        return [name for name in wanted if name not in self.names]

    def config(self, name: str) -> Optional[Dict[str, Any]]:
        return self.configs.get(name)


def _presets(settings, parameter_set: str, label: str, unread: List[str]) -> list:
    found = settings.get_parameter_set(parameter_set)
    if found is None:
        unread.append("%s (DSS's answer has no parameter set %s)" % (label, parameter_set))
        return []
    return list(found.list_presets())


def preset_names(client: DSSClient, plugin_id: str, parameter_set: str, project_key: str, where: str) -> PresetNames:
    plugin = client.get_plugin(plugin_id)
    names: List[str] = []
    unread: List[str] = []
    configs: Dict[str, Dict[str, Any]] = {}
    sources = [("the instance's presets", plugin.get_settings),
               ("the presets of project %s" % project_key, lambda: plugin.get_project_settings(project_key))]
    for label, read in sources:
        try:
            settings = dss_call("Reading %s of plugin %s" % (label, plugin_id), where, read)
        except PluginError as error:
            cause = error.__cause__
            if isinstance(cause, DSSCallError) and cause.from_dss and (cause.is_permission_denied
                                                                       or cause.is_not_found):
                unread.append("%s (DSS answered %s: %s)" % (label, cause.status, cause.detail))
                continue
            raise
        for preset in _presets(settings, parameter_set, label, unread):
            if preset.name not in names:
                names.append(preset.name)
                configs[preset.name] = dict(preset.config or {})
    return PresetNames(names=tuple(names), unread=tuple(unread), configs=configs)
