"""The plugin's steps and macros, one module each, with the descriptor fields they share and their runtimes.

No component imports another: what two of them share lives in `fields`, `run_settings` or a runtime module.
"""
