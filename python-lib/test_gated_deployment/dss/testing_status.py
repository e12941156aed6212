"""A testing status (deployment or project, per bundle and node) and DSS's last-test-runs report."""

from dataclasses import dataclass
from typing import Dict, Optional

from .capabilities import RUN_THROUGH_DEPLOYER, call_of
from .transport import DSSClient


@dataclass(frozen=True)
class TestingCounts:
    total: int
    per_outcome: Dict[str, int]   # only the outcomes with a count

    @classmethod
    def read(cls, status) -> "TestingCounts":
        """[U] Outcomes with a count of 0 may be absent from `nbScenariosPerOutcome`: every read has a default."""
        raw = status.get_raw() if hasattr(status, "get_raw") else dict(status or {})
        per_outcome = raw.get("nbScenariosPerOutcome") or {}
        counts = {str(k): int(v or 0) for k, v in per_outcome.items() if int(v or 0)}
        return cls(total=int(raw.get("nbTotalRanScenarios") or 0), per_outcome=counts)


def deployment_testing_status(deployer: DSSClient, deployment_id: str, bundle_id: Optional[str],
                              node_id: Optional[str]) -> TestingCounts:
    handle = deployer.get_projectdeployer().get_deployment(deployment_id)
    return TestingCounts.read(handle.get_testing_status(bundle_id, node_id))


def run_deployment_tests(deployer: DSSClient, deployment_id: str, node_id: Optional[str]) -> TestingCounts:
    """The Deployer's run-test-scenarios call (DSS 14.1+); it answers a testing status."""
    handle = deployer.get_projectdeployer().get_deployment(deployment_id)
    return TestingCounts.read(call_of(handle, RUN_THROUGH_DEPLOYER, "deployment %s" % deployment_id)(node_id))


def project_testing_status(client: DSSClient, project_key: str, bundle_id: Optional[str]) -> TestingCounts:
    return TestingCounts.read(client.get_project(project_key).get_testing_status(bundle_id))


def last_test_runs_report(client: DSSClient, project_key: str, bundle_id: Optional[str]) -> bytes:
    """DSS's JUnit XML report of the last run of each test scenario, for a bundle."""
    return client.get_project(project_key).get_last_test_scenario_runs_report(bundle_id).content
