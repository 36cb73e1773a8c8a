#!/usr/bin/env python3
"""Validate event payloads against Schemas/events with the reference JSON Schema implementation.

Input (file named by argv[1]): a JSON list of {"schema": "VoteCast.v1.json", "payload": {...}}.
Output (stdout): a JSON list of {"valid": bool, "error": str|null}, one per case, in order.
Used by the MovieMashCore tests to prove that the schemas and the Swift codec agree.
"""
import json
import pathlib
import sys

import jsonschema

SCHEMAS = pathlib.Path(__file__).resolve().parent.parent / "Schemas" / "events"


def main() -> None:
    cases = json.loads(pathlib.Path(sys.argv[1]).read_text())
    validators = {}
    results = []
    for case in cases:
        name = case["schema"]
        if name not in validators:
            schema = json.loads((SCHEMAS / name).read_text())
            jsonschema.Draft202012Validator.check_schema(schema)
            validators[name] = jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        error = jsonschema.exceptions.best_match(validators[name].iter_errors(case["payload"]))
        results.append({"valid": error is None, "error": None if error is None else error.message})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
