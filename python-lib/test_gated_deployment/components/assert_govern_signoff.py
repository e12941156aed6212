"""The "Assert Govern sign-off" step: a bundle goes on only when a person approved it in Dataiku Govern."""

import logging
from dataclasses import dataclass
from typing import Optional

from ..dss.deployments import read_deployment, running_bundle
from ..errors import PluginError
from ..gate.signoff import SignoffSpec, SignoffVerdict, log_signoff, refusal
from ..settings import ConfigReader, Field, NodeSettings, read_variable_prefix
from .fields import (
    DeploymentRef,
    connect_deployer,
    read_deployment_ref,
)
from .govern_options import read_govern_preset, read_signoff_spec, signoff_check

log = logging.getLogger(__name__)

BUNDLE_EXPLICIT = "explicit"
BUNDLE_FROM_DEPLOYMENT = "from_deployment"

F_BUNDLE_MODE = Field("bundle_mode", "Bundle")
F_BUNDLE_ID = Field("bundle_id", "Bundle id")
F_PROJECT_KEY = Field("project_key", "Project key")
F_DEPLOYMENT = Field("deployment_id", "Deployment whose bundle to check")
F_DEPLOYMENT_TEXT = Field("deployment_id_text", "Deployment id (text or variable)")
F_VARIABLE_PREFIX = Field("variable_prefix", "Scenario variables prefix")


@dataclass(frozen=True)
class SignoffSettings:
    govern: NodeSettings
    bundle_mode: str
    bundle_id: Optional[str]
    project_key: Optional[str]
    deployment: Optional[DeploymentRef]
    signoff: SignoffSpec
    variable_prefix: str

    @classmethod
    def read(cls, reader: ConfigReader, redactor=None) -> "SignoffSettings":
        mode = reader.choice(F_BUNDLE_MODE, [BUNDLE_EXPLICIT, BUNDLE_FROM_DEPLOYMENT], BUNDLE_EXPLICIT)
        return cls(
            govern=read_govern_preset(reader, redactor),
            bundle_mode=mode,
            bundle_id=reader.identifier(F_BUNDLE_ID) if mode == BUNDLE_EXPLICIT else None,
            project_key=reader.identifier(F_PROJECT_KEY, required=False) if mode == BUNDLE_EXPLICIT else None,
            deployment=(read_deployment_ref(reader, F_DEPLOYMENT, F_DEPLOYMENT_TEXT, redactor)
                        if mode == BUNDLE_FROM_DEPLOYMENT else None),
            signoff=read_signoff_spec(reader),
            variable_prefix=read_variable_prefix(reader, F_VARIABLE_PREFIX, "signoff"),
        )


def assert_govern_signoff(context) -> SignoffVerdict:
    """Entry point of python-steps/assert-govern-signoff."""
    settings = SignoffSettings.read(context.reader, context.redactor)
    if settings.bundle_mode == BUNDLE_FROM_DEPLOYMENT:
        deployer, where = connect_deployer(context, settings.deployment)
        info = read_deployment(deployer, settings.deployment.deployment_id, where)
        bundle_id, project_key = running_bundle(info), info.published_project_key
    else:
        bundle_id, project_key = settings.bundle_id, settings.project_key or context.project_key
    verdict = signoff_check(context, settings.govern, settings.signoff)(bundle_id, project_key)
    log_signoff(verdict)
    context.set_variables(verdict.variables(settings.variable_prefix))
    if not verdict.passed:
        raise PluginError(refusal(verdict))
    return verdict
