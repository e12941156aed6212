"""How steps are stored in a step-based scenario's `params.steps`: the envelope, plugin step types, built-in keys.

The "Create Automate Deployment scenario" macro writes steps in these shapes. DSS documents none of them for 13/14,
so every guess is here, marked [V] (verified in DSS 9 source), [I] (inferred) or [U] (unknown): correct it here
when a real instance disagrees.
"""

from typing import Any, Dict, Optional

# plugin.json "id": the plugin part of every step type this plugin contributes.
PLUGIN_ID = "test-gated-deployment"
# The folder under parameter-sets/ of the presets that reach another DSS node.
NODE_PARAMETER_SET = "dss-node"
GOVERN_PARAMETER_SET = "govern-node"

# Folder names under python-steps/: the step part of the type, and the UI contract.
RUN_TESTS_STEP = "run-test-scenarios"
ASSERT_STEP = "assert-test-status"
DEPLOY_STEP = "deploy-bundle"

PLUGIN_STEP_PREFIX = "pystep_"


def plugin_step_type(step_id: str, plugin_id: str = PLUGIN_ID) -> str:
    """The `type` of a plugin step: `pystep_<pluginId>_<stepId>`.

    [I] reference §2.2: DSS 9's frontend tests `type.startsWith('pystep_')`, and the composition follows
    `pytrigger_<pluginId>_<id>` and `pyrunnable_<pluginId>_<id>`. The only place in python-lib that builds it.
    """
    return "%s%s_%s" % (PLUGIN_STEP_PREFIX, plugin_id, step_id)


def preset_reference(name: str) -> Dict[str, str]:
    """A PRESET param as stored in a component's config [V] (reference §1.3): a name, never the resolved values,
    so that no key is ever written into a scenario and DSS resolves it for the run-as user at run time."""
    return {"mode": "PRESET", "name": name}


def step(step_id: str, name: str, step_type: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """A step with DSS's envelope [V] (reference §2.2): runs if every earlier step ended SUCCESS or WARNING."""
    return {
        "id": step_id,
        "type": step_type,
        "name": name,
        "enabled": True,
        "runConditionType": "RUN_IF_STATUS_MATCH",
        "runConditionStatuses": ["SUCCESS", "WARNING"],
        "runConditionExpression": "",
        "resetScenarioStatus": False,
        "maxRetriesOnFail": 0,
        "delayBetweenRetries": 10,
        "params": params,
    }


def plugin_step(step_id: str, name: str, plugin_step_id: str, config: Dict[str, Any]) -> Dict[str, Any]:
    """A step of this plugin: its settings go in `params.config` [V] (the plugin step editor binds there)."""
    return step(step_id, name, plugin_step_type(plugin_step_id), {"config": config})


# ---- Built-in steps ---------------------------------------------------------------------------------------------
# [I] Type ids and param keys from the DSS 9 step editors (reference §4.2); not confirmed on DSS 13/14.
PREPARE_BUNDLE = "prepare_bundle"


def create_bundle_step(step_id: str, name: str, bundle_id: str, target_variable: str,
                       published_project_key: Optional[str] = None) -> Dict[str, Any]:
    """DSS's built-in "Create bundle" step, publishing the bundle on the Deployer.

    `bundleId` may hold `${variables}` (DSS expands them); `transmogrify` makes DSS add a number when the id is
    taken, so the pattern need not be unique; `targetVariable` receives the final id for later steps.
    """
    params: Dict[str, Any] = {
        "bundleId": bundle_id,
        "transmogrify": True,
        "targetVariable": target_variable,
        "publishOnDeployer": True,
    }
    if published_project_key:
        params["publishedProjectKey"] = published_project_key
    return step(step_id, name, PREPARE_BUNDLE, params)
