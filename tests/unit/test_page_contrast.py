"""Every badge and every text colour of the pages' templates reads at the 4.5:1 contrast small text needs (WCAG)."""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "python-lib" / "test_gated_deployment" / "reports" / "templates"
RULE = re.compile(r"([^{}]+)\{([^}]*)\}")
BADGE_TEXT = "#ffffff"   # `.tgd .badge { color: #fff }`
PAGE = "#ffffff"


def luminance(colour: str) -> float:
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255.0 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rules():
    """(template, selector, property, colour) of every colour the templates' style sheets set."""
    found = []
    for template in sorted(TEMPLATES.glob("*.html")):
        for style in re.findall(r"<style>(.*?)</style>", template.read_text(encoding="utf-8"), re.S):
            for selector, body in RULE.findall(style):
                found += [(template.name, selector.strip(), prop, colour)
                          for prop, colour in re.findall(r"(background|color):\s*(#[0-9a-fA-F]{3,6})", body)]
    return found


# Backgrounds under white badge text, and text colours on the white page. A table header's pale background carries
# the page's dark text, and the badge's own white text is what the backgrounds are measured against.
PAIRS = [(t, sel, colour, BADGE_TEXT) for t, sel, prop, colour in rules() if prop == "background" and " th" not in sel]
PAIRS += [(t, sel, colour, PAGE) for t, sel, prop, colour in rules() if prop == "color" and ".badge" not in sel]


def test_the_templates_have_colours_to_check():
    assert len([p for p in PAIRS if p[3] == BADGE_TEXT]) >= 5 and any(p[3] == PAGE for p in PAIRS)


@pytest.mark.parametrize(("template", "selector", "colour", "against"), PAIRS)
def test_contrast(template, selector, colour, against):
    ratio = contrast(colour, against)
    assert ratio >= 4.5, "%s %s %s: %.2f:1" % (template, selector, colour, ratio)
