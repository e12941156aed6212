"""`ResultTable`: the RESULT_TABLE result of a macro. Same JSON shape as DSS 9 `dataiku/runnables/result.py`."""

import json


class ResultTable:
    def __init__(self):
        self.records = []
        self.columns = []
        self.header = ""
        self.name = ""

    def add_column(self, name, display_name, type="STRING"):  # noqa: A002 - DSS's own parameter name
        """Column types documented by DSS: STRING and STRING_LIST."""
        self.columns.append({"name": name, "displayName": display_name, "type": type})

    def add_record(self, record):
        """One row: a list with one value per column, in column order."""
        self.records.append(record)

    def set_header(self, header):
        self.header = header

    def set_name(self, name):
        self.name = name

    def to_json(self):
        return json.dumps({"header": self.header, "columns": self.columns, "records": self.records, "name": self.name})
