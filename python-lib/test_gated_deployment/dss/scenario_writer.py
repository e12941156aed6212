"""Writing a step-based scenario into a project: created once, then updated in place, never duplicated.

[I] DSS derives a new scenario's id from its name; whether it honours an `id` in the definition is unknown. The
writer sends the wanted id anyway, uses the id DSS answers, and tags the scenario so that the next write finds the
same scenario again whatever id it got.
"""

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ..errors import PluginError
from .answers import dss_call
from .scenario_steps import PLUGIN_ID
from .scenarios import ScenarioItem, read_scenarios
from .transport import DSSClient

log = logging.getLogger(__name__)

STEP_BASED = "step_based"


def marker_tag(scenario_id: str) -> str:
    """The tag that ties a scenario to the scenario id it was written for."""
    return "%s:%s" % (PLUGIN_ID, scenario_id)


@dataclass
class Written:
    scenario_id: str
    created: bool
    steps: List[Dict[str, Any]]
    replaced_steps: int = 0
    notes: List[str] = field(default_factory=list)


def find_scenario(items: List[ScenarioItem], scenario_id: str, project_key: str) -> Optional[ScenarioItem]:
    """The scenario with that id, else the one written for that id (by its tag)."""
    for item in items:
        if item.id == scenario_id:
            return item
    tagged = [item for item in items if marker_tag(scenario_id) in item.tags]
    if len(tagged) > 1:
        raise PluginError(
            "Scenarios %s of project %s all carry the tag %s, so the macro cannot tell which one to update. Remove "
            "the tag from all but one, or delete the extra scenarios." % (
                ", ".join(item.id for item in tagged), project_key, marker_tag(scenario_id)))
    return tagged[0] if tagged else None


def _refuse_other_type(scenario_id: str, project_key: str, kind: str):
    raise PluginError("Scenario %s of project %s is a %s scenario, not a step-based one, so the macro cannot write "
                      "its steps. Give another scenario id, or delete that scenario." % (scenario_id, project_key,
                                                                                          kind))


def write_step_scenario(client: DSSClient, project_key: str, scenario_id: str, name: str,
                        steps: List[Dict[str, Any]], where: str) -> Written:
    project = client.get_project(project_key)
    what = "Writing scenario %s of project %s" % (scenario_id, project_key)
    existing = find_scenario(read_scenarios(client, project_key, where), scenario_id, project_key)
    if existing is None:
        definition = {"id": scenario_id, "active": False, "tags": [marker_tag(scenario_id)],
                      "params": {"steps": steps}}
        handle = dss_call(what, where, project.create_scenario, name, STEP_BASED, definition=definition)
        log.info("Created scenario %s in project %s.", handle.id, project_key)
        written = Written(scenario_id=handle.id, created=True, steps=steps)
        if handle.id != scenario_id:
            written.notes.append(
                "DSS gave the new scenario the id %s (it derives ids from names). Running this macro again with "
                "scenario id %s updates it: the scenario carries the tag %s." % (
                    handle.id, scenario_id, marker_tag(scenario_id)))
    else:
        if existing.type and existing.type != STEP_BASED:
            _refuse_other_type(existing.id, project_key, existing.type)
        handle = project.get_scenario(existing.id)
        written = Written(scenario_id=handle.id, created=False, steps=steps)
    try:
        scenario_settings = dss_call(what, where, handle.get_settings)
    except KeyError as error:
        # dataikuapi reads the scenario's "type" to pick its settings class.
        raise PluginError("DSS answered scenario %s of project %s without its %s: the macro cannot tell whether it "
                          "is step-based. Check the scenario in DSS." % (handle.id, project_key, error)) from error
    raw = scenario_settings.get_raw()
    if raw.get("type") != STEP_BASED:
        _refuse_other_type(handle.id, project_key, raw.get("type"))
    params = raw.setdefault("params", {})
    written.replaced_steps = 0 if written.created else len(params.get("steps") or [])
    # [U] Whether DSS keeps the steps of a create definition: set them (and the name and tag) in any case.
    params["steps"] = steps
    raw["name"] = name
    raw["tags"] = list(raw.get("tags") or [])
    if marker_tag(scenario_id) not in raw["tags"]:
        raw["tags"].append(marker_tag(scenario_id))
    dss_call(what, where, scenario_settings.save)
    log.info("Scenario %s of project %s now has the %d Automate Deployment steps.", handle.id, project_key,
             len(steps))
    return written
