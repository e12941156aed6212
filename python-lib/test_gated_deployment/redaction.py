"""Keeps API keys out of logs, messages, reports and scenario variables."""

import logging

MASK = "********"


class Redactor:
    """Replaces every known secret in a text by a mask."""

    def __init__(self, secrets=()):
        # Longest first, so that a key containing another key is masked whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def add(self, secret):
        if secret and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)

    def mask(self, value):
        """Masks secrets in a string, or recursively in the strings of a list or dict."""
        if isinstance(value, str):
            for secret in self._secrets:
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):
            return {self.mask(k): self.mask(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.mask(v) for v in value]
        return value


class RedactingFilter(logging.Filter):
    """A logging filter that formats the record, then masks secrets in the final text."""

    def __init__(self, redactor):
        super().__init__()
        self._redactor = redactor

    def filter(self, record):
        message = record.getMessage()
        if record.exc_info:
            message = message + "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg = self._redactor.mask(message)
        record.args = None
        return True
