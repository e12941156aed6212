"""The "Create Automate Deployment scenario" macro: writes (or updates, never duplicates) the scenario.

[I] DSS derives a new scenario's id from its name; whether it honours an `id` in the definition is unknown. The
macro sends the wanted id anyway, uses the id DSS answers, and tags the scenario so that the next run finds the
same scenario again whatever id it got.
"""

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .automate_scenario import AutomateSettings, build_steps, has_variables
from .deployments import dss_call, read_deployment
from .errors import PluginError
from .macro_runtime import ui_path
from .promotion import same_published_project
from .reports import render
from .run_tests_step import list_scenario_items
from .scenario_steps import PLUGIN_ID

log = logging.getLogger(__name__)

WHERE = "this node"
DEPLOYER_WHERE = "the Deployer of this node"
STEP_BASED = "step_based"


def marker_tag(scenario_id: str) -> str:
    """The tag that ties a scenario to the scenario id asked of this macro."""
    return "%s:%s" % (PLUGIN_ID, scenario_id)


@dataclass
class Written:
    scenario_id: str
    created: bool
    steps: List[Dict[str, Any]]
    replaced_steps: int = 0
    notes: List[str] = field(default_factory=list)


def create_automate_scenario(context) -> str:
    """Entry point of python-runnables/create-automate-deployment-scenario: the HTML page of what was written."""
    settings = AutomateSettings.read(context.reader)
    client = context.local_client()
    notes: List[str] = []
    published = _check_deployments(client, settings, notes)
    written = write_scenario(client, context.project_key, settings, build_steps(settings, published))
    written.notes[:0] = notes
    return render("macro_create_scenario.html", project_key=context.project_key, written=written,
                  settings=settings, steps_url=ui_path("projects", context.project_key, "scenarios",
                                                       written.scenario_id, "steps"))


def _check_deployments(client, settings: AutomateSettings, notes: List[str]) -> Optional[str]:
    """The published project of both deployments, checked when this node's Deployer can tell; else None."""
    if settings.deployer_preset:
        notes.append("The deployments were not checked: they are on the Deployer of preset '%s', which only the "
                     "scenario's steps reach. A wrong id fails the first Deploy bundle step."
                     % settings.deployer_preset)
        return None
    if has_variables(settings.qa_deployment) or has_variables(settings.prod_deployment):
        notes.append("The deployment ids hold variables, expanded when the scenario runs: they were not checked.")
        return None
    qa = read_deployment(client, settings.qa_deployment, DEPLOYER_WHERE)
    prod = read_deployment(client, settings.prod_deployment, DEPLOYER_WHERE)
    same_published_project(qa, prod)
    return qa.published_project_key


def write_scenario(client, project_key: str, settings: AutomateSettings, steps: List[Dict[str, Any]]) -> Written:
    project = client.get_project(project_key)
    what = "Writing scenario %s of project %s" % (settings.scenario_id, project_key)
    existing = find_scenario(list_scenario_items(client, project_key, WHERE), settings.scenario_id, project_key)
    if existing is None:
        definition = {"id": settings.scenario_id, "active": False, "tags": [marker_tag(settings.scenario_id)],
                      "params": {"steps": steps}}
        handle = dss_call(what, WHERE, project.create_scenario, settings.scenario_name, STEP_BASED,
                               definition=definition)
        log.info("Created scenario %s in project %s.", handle.id, project_key)
        written = Written(scenario_id=handle.id, created=True, steps=steps)
        if handle.id != settings.scenario_id:
            written.notes.append(
                "DSS gave the new scenario the id %s (it derives ids from names). Running this macro again with "
                "scenario id %s updates it: the scenario carries the tag %s." % (
                    handle.id, settings.scenario_id, marker_tag(settings.scenario_id)))
    else:
        if existing.get("type", STEP_BASED) != STEP_BASED:
            raise PluginError(
                "Scenario %s of project %s is a %s scenario, not a step-based one, so the macro cannot write its "
                "steps. Give another scenario id, or delete that scenario." % (
                    existing["id"], project_key, existing.get("type")))
        handle = project.get_scenario(existing["id"])
        written = Written(scenario_id=handle.id, created=False, steps=steps)
    try:
        scenario_settings = dss_call(what, WHERE, handle.get_settings)
    except KeyError as error:
        # dataikuapi reads the scenario's "type" to pick its settings class.
        raise PluginError("DSS answered scenario %s of project %s without its %s: the macro cannot tell whether it "
                          "is step-based. Check the scenario in DSS." % (handle.id, project_key, error)) from error
    raw = scenario_settings.get_raw()
    if raw.get("type") != STEP_BASED:
        raise PluginError("Scenario %s of project %s is a %s scenario, not a step-based one, so the macro cannot "
                          "write its steps. Give another scenario id, or delete that scenario."
                          % (handle.id, project_key, raw.get("type")))
    params = raw.setdefault("params", {})
    written.replaced_steps = 0 if written.created else len(params.get("steps") or [])
    # [U] Whether DSS keeps the steps of a create definition: set them (and the name and tag) in any case.
    params["steps"] = steps
    raw["name"] = settings.scenario_name
    raw["tags"] = list(raw.get("tags") or [])
    if marker_tag(settings.scenario_id) not in raw["tags"]:
        raw["tags"].append(marker_tag(settings.scenario_id))
    dss_call(what, WHERE, scenario_settings.save)
    log.info("Scenario %s of project %s now has the %d Automate Deployment steps.", handle.id, project_key,
             len(steps))
    return written


def find_scenario(items, scenario_id: str, project_key: str) -> Optional[Dict[str, Any]]:
    """The scenario with that id, else the one this macro created for that id (by its tag)."""
    for item in items:
        if str(item.get("id")) == scenario_id:
            return item
    tagged = [item for item in items if marker_tag(scenario_id) in (item.get("tags") or [])]
    if len(tagged) > 1:
        raise PluginError(
            "Scenarios %s of project %s all carry the tag %s, so the macro cannot tell which one to update. Remove "
            "the tag from all but one, or delete the extra scenarios." % (
                ", ".join(str(item.get("id")) for item in tagged), project_key, marker_tag(scenario_id)))
    return tagged[0] if tagged else None
