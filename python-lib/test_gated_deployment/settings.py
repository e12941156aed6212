"""Reading raw DSS parameter values into typed settings, refusing bad ones before any call to DSS.

DSS hands component parameters over as parsed JSON: numbers may arrive as floats or strings, empty fields as
None or "", and `${var}` references may or may not have been expanded already. Every reader here names the
setting (by its UI label) and what it accepts when it refuses a value.
"""

import math
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import urlparse

from .errors import SettingsError

VARIABLE_REFERENCE = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class Field:
    """One parameter of a step or macro: its key in the config and its label in the UI."""

    name: str
    label: str

    def describe(self):
        return "'%s' (%s)" % (self.label, self.name)


class ConfigReader:
    """Reads a component config, expanding `${var}` references with the scenario variables."""

    def __init__(self, config: Mapping[str, Any], variables: Optional[Mapping[str, Any]] = None):
        self._config = dict(config or {})
        self._variables = dict(variables or {})

    def raw(self, field: Field):
        return self._config.get(field.name)

    def text(self, field: Field, default: Optional[str] = None, required: bool = False) -> Optional[str]:
        value = self._config.get(field.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise SettingsError("Setting %s is required: enter a value." % field.describe())
            return default
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise SettingsError("Setting %s must be text, got %s." % (field.describe(), type(value).__name__))
        expanded = self.expand(field, str(value).strip()).strip()
        if not expanded:
            if required:
                raise SettingsError("Setting %s is required, but %r expands to an empty text: set the variable it "
                                    "uses." % (field.describe(), value))
            return default
        return expanded

    def identifier(self, field: Field, required: bool = True, default: Optional[str] = None) -> Optional[str]:
        """A DSS object id (project key, scenario id, deployment id, bundle id)."""
        value = self.text(field, default=default, required=required)
        if value is None:
            return None
        if any(c in value for c in "/\\?#%") or any(ord(c) < 32 for c in value):
            raise SettingsError(
                "Setting %s has the value %r, which cannot be a DSS id: ids contain no '/', '\\', '?', '#', '%%' "
                "or control characters." % (field.describe(), value)
            )
        return value

    def integer(self, field: Field, default: int, minimum: int, maximum: int) -> int:
        value = self._config.get(field.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if isinstance(value, str):
            value = self.expand(field, value.strip())
        number = _to_number(value)
        if number is None or not float(number).is_integer():
            raise SettingsError(
                "Setting %s must be a whole number from %d to %d, got %r." % (field.describe(), minimum, maximum, value)
            )
        number = int(number)
        if not minimum <= number <= maximum:
            raise SettingsError(
                "Setting %s must be from %d to %d, got %d." % (field.describe(), minimum, maximum, number)
            )
        return number

    def boolean(self, field: Field, default: bool) -> bool:
        value = self._config.get(field.name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise SettingsError("Setting %s must be true or false, got %r." % (field.describe(), value))

    def choice(self, field: Field, choices: List[str], default: str) -> str:
        value = self.text(field, default=default)
        if value not in choices:
            raise SettingsError(
                "Setting %s must be one of %s, got %r." % (field.describe(), ", ".join(choices), value)
            )
        return value

    def strings(self, field: Field) -> List[str]:
        """A STRINGS parameter: a list of non-empty strings (a comma-separated text is accepted too)."""
        value = self._config.get(field.name)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list):
            raise SettingsError("Setting %s must be a list of texts, got %r." % (field.describe(), value))
        items = []
        for item in value:
            if not isinstance(item, (str, int, float)) or isinstance(item, bool):
                raise SettingsError("Setting %s must be a list of texts, got item %r." % (field.describe(), item))
            text = self.expand(field, str(item).strip())
            if text and text not in items:
                items.append(text)
        return items

    def expand(self, field: Field, text: str) -> str:
        """Expands `${name}` with the scenario variables; a reference to an undefined variable is refused."""

        def replace(match):
            name = match.group(1).strip()
            if name not in self._variables:
                raise SettingsError(
                    "Setting %s refers to the variable ${%s}, which is not defined in this scenario. Define it in "
                    "an earlier step (for example the Create bundle step's target variable) or in the project "
                    "variables." % (field.describe(), name)
                )
            value = self._variables[name]
            return value if isinstance(value, str) else str(value)

        return VARIABLE_REFERENCE.sub(replace, text)


def has_variables(text: str) -> bool:
    return bool(VARIABLE_REFERENCE.search(text))


def read_variable_prefix(reader: ConfigReader, field: Field, default: str) -> str:
    """A prefix for the scenario variables a step sets: letters, digits and '_' only."""
    prefix = reader.text(field, default=default)
    if not prefix.replace("_", "").isalnum() or not prefix.isascii():
        raise SettingsError("Setting %s must contain only letters, digits and '_', got %r."
                            % (field.describe(), prefix))
    return prefix


def _to_number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


@dataclass(frozen=True)
class NodeSettings:
    """A resolved `dss-node` preset: how to reach another DSS node."""

    url: str
    api_key: str
    verify_tls: bool = True
    ca_bundle: Optional[str] = None

    def __repr__(self):
        # The key must never reach a log line through a repr.
        return "NodeSettings(url=%r, verify_tls=%r, ca_bundle=%r)" % (self.url, self.verify_tls, self.ca_bundle)


_PRESET_REFERENCE_KEYS = {"mode", "name", "inlinedConfig", "inlinedPluginConfig"}


def read_node_preset(value: Any, field: Field, kind: str = "DSS node") -> Optional[NodeSettings]:
    """Reads a resolved `dss-node` (or `govern-node`, same fields) preset value, or None when it is not set."""
    if value is None or value == {} or value == "":
        return None
    if not isinstance(value, dict):
        raise SettingsError(
            "Setting %s must be a %s preset, got %r." % (field.describe(), kind, type(value).__name__)
        )
    if "mode" in value and set(value) <= _PRESET_REFERENCE_KEYS:
        if value.get("mode") == "NONE":
            return None
        # [I] DSS resolves presets in the "config" part of DKU_PLUGIN_CONFIG; a raw reference here means it did not.
        raise SettingsError(
            "Setting %s holds the unresolved preset reference %r. Check that the preset exists and that the "
            "scenario's run-as user may use it." % (field.describe(), value.get("name") or value.get("mode"))
        )
    url = (value.get("url") or "").strip()
    api_key = value.get("api_key") or ""
    if not url:
        raise SettingsError(
            "The %s preset in %s has no URL: edit the preset and set 'Node URL'." % (kind, field.describe())
        )
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise SettingsError(
            "The %s preset in %s has the URL %r: expected http(s)://host[:port]." % (kind, field.describe(), url)
        )
    if parsed.username or parsed.password:
        raise SettingsError(
            "The %s preset in %s has credentials in its URL: remove them from 'Node URL' and put the API key "
            "in 'API key'." % (kind, field.describe())
        )
    if parsed.path not in ("", "/") or parsed.query or parsed.fragment:
        raise SettingsError(
            "The %s preset in %s has the URL %r: give only the node's base URL, for example "
            "https://automation.example.com:11200." % (kind, field.describe(), url)
        )
    if not isinstance(api_key, str) or not api_key.strip():
        raise SettingsError(
            "The %s preset in %s has no API key: edit the preset and set 'API key'." % (kind, field.describe())
        )
    verify = value.get("verify_tls")
    # Only an explicit "off" turns verification off: a missing or null value keeps it on.
    verify = not (verify is False or (isinstance(verify, str) and verify.strip().lower() == "false"))
    ca_bundle = (value.get("ca_bundle") or "").strip() or None
    return NodeSettings(url=url.rstrip("/"), api_key=api_key.strip(), verify_tls=bool(verify), ca_bundle=ca_bundle)


def secrets_in(config: Mapping[str, Any]) -> List[str]:
    """Every API key held by a resolved config, so that it can be masked wherever text is shown."""
    found: List[str] = []

    def walk(value: Any):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("api_key", "apiKey", "password") and isinstance(item, str) and item:
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(dict(config or {}))
    return found


def merge_step_config(step_config: Dict[str, Any], plugin_config: Dict[str, Any]) -> Dict[str, Any]:
    """The step's own params, with presets resolved.

    [I] `get_step_config()` holds the raw params (presets as references) and `get_plugin_config()["config"]`
    the same params with presets resolved (reference §2.4); the resolved values win.
    """
    merged = dict(step_config or {})
    resolved = (plugin_config or {}).get("config")
    if isinstance(resolved, dict):
        merged.update(resolved)
    return merged
