"""Running test scenarios: finding them, running them with bounded parallelism, and their results."""
