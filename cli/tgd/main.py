"""The `tgd` command: a subcommand per step, progress on stderr, a JSON summary on stdout, and an exit code CI
understands: 0 pass, 1 fail, 2 inconclusive, 3 bad settings."""

import argparse
import json
import logging
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from test_gated_deployment.components.assert_test_status import assert_test_status
from test_gated_deployment.components.check_pipeline_readiness import check_pipeline_readiness_step
from test_gated_deployment.components.context import ComponentContext, configure_logging
from test_gated_deployment.components.deploy_bundle import deploy_bundle
from test_gated_deployment.components.failures import describe_failure
from test_gated_deployment.components.fields import F_VERDICT_FOLDER, read_transport_policy
from test_gated_deployment.components.run_test_scenarios import run_test_scenarios
from test_gated_deployment.dss.interrupts import StopSignal
from test_gated_deployment.dss.transport import TransportPolicy, connect_node
from test_gated_deployment.errors import SettingsError, StepInterrupted
from test_gated_deployment.gate.verdict import INCONCLUSIVE
from test_gated_deployment.redaction import Redactor
from test_gated_deployment.release.promotion import PromotionRefused
from test_gated_deployment.settings import ConfigReader, secrets_in

from .folder import LocalFolder
from .inputs import KEY_VARIABLE, URL_VARIABLE, node_key_variable, read_inputs

log = logging.getLogger("tgd")

EXIT_PASS, EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_SETTINGS = 0, 1, 2, 3
OUTCOMES = {EXIT_PASS: "pass", EXIT_FAIL: "fail", EXIT_INCONCLUSIVE: "inconclusive", EXIT_SETTINGS: "bad settings"}
# The id the steps are given for their report folder; the command maps it to --report-dir.
REPORT_FOLDER = "report-dir"


def _as_promotion(settings: Dict[str, Any]) -> Dict[str, Any]:
    """The Promote macro's settings, as the Deploy bundle settings that promote what QA runs through QA's gate."""
    settings = dict(settings)
    qa, prod = settings.pop("qa_deployment_id", None), settings.pop("prod_deployment_id", None)
    if not qa or not prod:
        raise SettingsError("promote needs qa_deployment_id and prod_deployment_id, for example --set "
                            "qa_deployment_id=SHOP-on-qa --set prod_deployment_id=SHOP-on-prod.")
    nodes = settings.pop("qa_automation_nodes", None)
    settings.update(deployment_id=prod, bundle_source="from_deployment", source_deployment_id=qa,
                    gate_deployment_id=qa)
    if nodes:
        settings["gate_automation_nodes"] = nodes
    return settings


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    logic: Callable[[ComponentContext], Any]
    translate: Callable[[Dict[str, Any]], Dict[str, Any]] = field(default=dict)


COMMANDS = (
    Command("run-tests", "Run the test scenarios of a project or a deployment (the Run test scenarios step).",
            run_test_scenarios),
    Command("gate", "Pass only if the tests of exactly one bundle are clean (the Assert test status clean step).",
            assert_test_status),
    Command("deploy", "Point a deployment at a bundle and update it, gated, with rollback (the Deploy bundle step).",
            deploy_bundle),
    Command("promote", "Promote the bundle QA runs to Production through QA's gate (settings of the Promote tested "
            "bundle macro: qa_deployment_id, prod_deployment_id, qa_automation_nodes).", deploy_bundle, _as_promotion),
    Command("preflight", "Check, reading only, what the pipeline needs (the Check pipeline readiness step).",
            check_pipeline_readiness_step),
)
BY_NAME = {c.name: c for c in COMMANDS}


class _Parser(argparse.ArgumentParser):
    """Bad arguments are bad settings (exit 3): argparse's own 2 would read as "inconclusive" in CI."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_SETTINGS, "%s: error: %s\n" % (self.prog, message))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tgd", description=__doc__,
        epilog="Settings are the step's own (see docs/reference.md). API keys come from environment variables only: "
               "%s for --url, %s for --node NAME=URL." % (KEY_VARIABLE, node_key_variable("NAME")))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help, description=command.help)
        sub.add_argument("--url", help="the DSS node to talk to, as a step talks to the node it runs on (default: "
                         "$%s)" % URL_VARIABLE)
        sub.add_argument("--api-key-env", default=KEY_VARIABLE, metavar="VARIABLE",
                         help="the environment variable holding the key for --url (default: %(default)s)")
        sub.add_argument("--project", default="", help="the project key the step would run in (run-tests on "
                         "'this project')")
        sub.add_argument("--settings", metavar="FILE", help="the step's settings, a JSON or YAML object")
        sub.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                         help="one setting (a JSON value, or text); wins over --settings")
        sub.add_argument("--node", action="append", default=[], metavar="NAME=URL",
                         help="a DSS node that node settings (automation_nodes, deployer, ...) name; its key in "
                         "$TGD_NODE_<NAME>_API_KEY")
        sub.add_argument("--report-dir", metavar="DIR", help="where the JUnit XML, HTML pages and verdict.json go")
        sub.add_argument("--ca-bundle", metavar="FILE", help="CA bundle to verify --url's TLS certificate")
        sub.add_argument("--no-verify-tls", action="store_true", help="accept any certificate of --url (logged)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    command = BY_NAME[args.command]
    redactor = Redactor()
    configure_logging(redactor, sys.stderr)
    stop = StopSignal()
    stop.install()
    signal.signal(signal.SIGINT, lambda signum, frame: stop.request())
    variables: Dict[str, Any] = {}
    error = None
    try:
        inputs = read_inputs(args.settings, args.set, args.url, args.api_key_env, args.node,
                             verify_tls=not args.no_verify_tls, ca_bundle=args.ca_bundle)
        redactor.add(inputs.node.api_key)
        for secret in secrets_in(inputs.settings):
            redactor.add(secret)
        _run(command, inputs, args, variables, redactor, stop)
    except (Exception, StepInterrupted) as caught:  # noqa: BLE001 - every end becomes an exit code and one line
        error = caught
    code = exit_code(error, variables)
    message = redactor.mask(describe_failure(error, "command")) if error is not None else ""
    if message:
        sys.stderr.write(message + "\n")
    summary = {"command": command.name, "exit_code": code, "outcome": OUTCOMES[code], "message": message,
               "variables": variables}
    sys.stdout.write(json.dumps(redactor.mask(summary), indent=2, default=str) + "\n")
    return code


def _run(command: Command, inputs, args, variables: Dict[str, Any], redactor: Redactor, stop: StopSignal):
    config = command.translate(inputs.settings)
    report_dir = Path(args.report_dir) if args.report_dir else None
    # The steps' report folder setting (one name in every step) is a managed folder: here, a directory.
    if config.get(F_VERDICT_FOLDER.name) not in (None, "", REPORT_FOLDER):
        raise SettingsError("Setting %s names a managed folder of DSS, which this command cannot write to: give "
                            "--report-dir instead." % F_VERDICT_FOLDER.describe())
    if report_dir is not None:
        config[F_VERDICT_FOLDER.name] = REPORT_FOLDER
    reader = ConfigReader(config, {})
    context = ComponentContext(
        reader=reader, variables={}, project_key=args.project, redactor=redactor,
        policy=read_transport_policy(reader), stop=stop,
        _local_client_factory=lambda: connect_node(inputs.node, TransportPolicy(), stop),
        _set_variables=lambda **values: variables.update(values),
        _folder_factory=lambda folder_id: LocalFolder(report_dir),
    )
    command.logic(context)


def exit_code(error: Optional[BaseException], variables: Dict[str, Any]) -> int:
    if error is None:
        return EXIT_PASS
    if isinstance(error, SettingsError):
        return EXIT_SETTINGS
    if isinstance(error, PromotionRefused) and error.verdict_status == INCONCLUSIVE:
        return EXIT_INCONCLUSIVE
    if any(name.endswith("_verdict") and value == INCONCLUSIVE for name, value in variables.items()):
        return EXIT_INCONCLUSIVE
    return EXIT_FAIL
