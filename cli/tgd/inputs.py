"""What a subcommand is given: its settings (a JSON or YAML file, then `--set name=value`), the DSS node it talks
to, and the other nodes its settings name. API keys come from environment variables only, never from a flag or a
file, so that they stay out of CI logs, process lists and repositories."""

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from test_gated_deployment.components.deploy_bundle import F_GATE_NODES
from test_gated_deployment.components.fields import F_DEPLOYER, F_QA_NODES
from test_gated_deployment.components.run_settings import F_AUTOMATION_NODES
from test_gated_deployment.errors import SettingsError
from test_gated_deployment.settings import NodeSettings

# The settings that name DSS nodes: in a step they are "DSS node" presets; here, nodes declared with --node.
NODE_FIELDS = (F_DEPLOYER.name, F_AUTOMATION_NODES.name, F_GATE_NODES.name, F_QA_NODES.name)
SINGLE_NODE_FIELDS = (F_DEPLOYER.name,)

URL_VARIABLE = "TGD_URL"
KEY_VARIABLE = "TGD_API_KEY"


def node_key_variable(name: str) -> str:
    return "TGD_NODE_%s_API_KEY" % re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def node_ca_variable(name: str) -> str:
    return "TGD_NODE_%s_CA_BUNDLE" % re.sub(r"[^A-Za-z0-9]", "_", name).upper()


@dataclass(frozen=True)
class Inputs:
    settings: Dict[str, Any]
    node: NodeSettings   # the node the command talks to, as a step talks to the node it runs on


def read_inputs(settings_file: Optional[str], assignments: List[str], url: Optional[str], key_variable: str,
                node_flags: List[str], verify_tls: bool, ca_bundle: Optional[str],
                environ: Mapping[str, str] = os.environ) -> Inputs:
    settings = _read_file(Path(settings_file)) if settings_file else {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SettingsError("--set %r: expected name=value, for example --set deployment_id=SHOP-on-qa." % item)
        settings[name.strip()] = _value(value)
    url = url or environ.get(URL_VARIABLE)
    if not url:
        raise SettingsError("No DSS node to talk to: give --url, or set %s." % URL_VARIABLE)
    key = environ.get(key_variable)
    if not key:
        raise SettingsError("No API key for %s: set the environment variable %s (keys are never taken from a flag)."
                            % (url, key_variable))
    nodes = dict(_node(flag, environ) for flag in node_flags)
    return Inputs(settings=_with_nodes(settings, nodes),
                  node=NodeSettings(url=url.rstrip("/"), api_key=key, verify_tls=verify_tls, ca_bundle=ca_bundle))


def _value(text: str) -> Any:
    """JSON when it parses as such (numbers, true/false, lists), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _read_file(path: Path) -> Dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml  # only a YAML file needs it

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except (OSError, ValueError) as error:
        raise SettingsError("Settings file %s cannot be read: %s" % (path, error)) from None
    if not isinstance(data, dict):
        raise SettingsError("Settings file %s must hold one object of name: value settings." % path)
    return data


def _node(flag: str, environ: Mapping[str, str]):
    name, sep, url = flag.partition("=")
    name = name.strip()
    if not sep or not name or not url.strip():
        raise SettingsError("--node %r: expected NAME=URL, for example --node qa=https://qa.example.com:11200." % flag)
    key = environ.get(node_key_variable(name))
    if not key:
        raise SettingsError("Node %s (%s) has no API key: set the environment variable %s."
                            % (name, url, node_key_variable(name)))
    preset = {"url": url.strip(), "api_key": key}
    if environ.get(node_ca_variable(name)):
        preset["ca_bundle"] = environ[node_ca_variable(name)]
    return name, preset


def _with_nodes(settings: Dict[str, Any], nodes: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    """Each node setting given as names (a list, or text separated by commas) gets the nodes declared by --node."""
    resolved = dict(settings)
    for field in NODE_FIELDS:
        value = settings.get(field)
        if value is None:
            continue
        if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
            raise SettingsError("Setting %s must name nodes declared with --node NAME=URL, whose keys are read from "
                                "$TGD_NODE_<NAME>_API_KEY: a node with its key in the settings would put the key in "
                                "a file or on the command line." % field)
        names = [n.strip() for n in value.split(",")] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise SettingsError("Setting %s must name nodes declared with --node, got %r." % (field, value))
        unknown = [n for n in names if n and n not in nodes]
        if unknown:
            raise SettingsError("Setting %s names node(s) %s, which no --node NAME=URL declares (declared: %s)."
                                % (field, ", ".join(unknown), ", ".join(sorted(nodes)) or "none"))
        found = [nodes[n] for n in names if n]
        resolved[field] = (found[0] if found else None) if field in SINGLE_NODE_FIELDS else found
    return resolved
