import logging

from test_gated_deployment.redaction import MASK, RedactingFilter, Redactor


def test_mask_nested_values():
    redactor = Redactor(["abc123", "abc"])
    assert redactor.mask({"k": ["key abc123 and abc"]}) == {"k": ["key %s and %s" % (MASK, MASK)]}


def test_filter_masks_arguments_and_tracebacks(caplog):
    logger = logging.getLogger("redaction-test")
    logger.addFilter(RedactingFilter(Redactor(["topsecret"])))
    with caplog.at_level(logging.INFO, logger="redaction-test"):
        logger.info("calling with %s", "topsecret")
        try:
            raise ValueError("bad key topsecret")
        except ValueError:
            logger.exception("failed")
    assert "topsecret" not in caplog.text
    assert MASK in caplog.text
