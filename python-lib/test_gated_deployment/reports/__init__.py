"""What the plugin hands a person: HTML pages (Jinja2 templates, autoescaped) and merged JUnit XML."""
