"""The fault-injection ledger: what the suite injected and what it found, printed as one summary line."""

from dataclasses import dataclass, field
from typing import List


@dataclass
class FaultLedger:
    faults_injected: int = 0
    steps_correct: int = 0
    steps_wrong: List[str] = field(default_factory=list)
    duplicate_runs: int = 0
    runs_left_active: int = 0
    key_leaks: int = 0

    def record(self, name: str, correct: bool, faults: int = 0, duplicates: int = 0, left_active: int = 0,
               leaks: int = 0):
        self.faults_injected += faults
        if correct:
            self.steps_correct += 1
        else:
            self.steps_wrong.append(name)
        self.duplicate_runs += duplicates
        self.runs_left_active += left_active
        self.key_leaks += leaks

    def summary(self) -> str:
        return ("fault injection: %d faults injected, %d steps ended correctly, %d ended wrongly, %d duplicate runs "
                "started, %d runs left active, %d key leaks found" % (
                    self.faults_injected, self.steps_correct, len(self.steps_wrong), self.duplicate_runs,
                    self.runs_left_active, self.key_leaks))


LEDGER = FaultLedger()
