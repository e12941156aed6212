"""`tgd`: the plugin's test gate and promotion from an external CI (Jenkins, GitHub Actions, GitLab, Azure DevOps).

Each subcommand runs the same component as the plugin's step, with the same settings, against DSS's public API:
`run-tests`, `gate`, `deploy`, `promote` and `preflight`. See docs/ci.md.
"""
