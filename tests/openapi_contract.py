"""Validate recorded emulator responses against WorkOS's OpenAPI spec (JSON Schema 2020-12)."""

import functools
import os
import re
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:workos-openapi"


def spec_path():
    raw = os.environ.get("WORKOS_OPENAPI_SPEC")
    return Path(raw) if raw else None


@functools.cache
def load_spec(path):
    """The spec (1.4 MB of YAML), parsed once per process, by libyaml when PyYAML has it (5x faster)."""
    with open(path) as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


class Contract:
    def __init__(self, path):
        self.spec = load_spec(str(path))
        resource = Resource.from_contents(self.spec, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URI, resource)
        self.routes = []
        for template, operations in self.spec["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            self.routes.append((re.compile(pattern), template, operations))
        # most specific (fewest placeholders) first: /users/external_id/{x} before /users/{id}
        self.routes.sort(key=lambda r: r[1].count("{"))

    def operation(self, method, path):
        for pattern, template, operations in self.routes:
            if pattern.match(path) and method.lower() in operations:
                return template, operations[method.lower()]
        return None, None

    def check(self, entry):
        """Return a list of problems with one logged response (empty when it conforms)."""
        method, path, status = entry["method"], entry["path"], str(entry["status"])
        template, op = self.operation(method, path)
        if op is None:
            return [f"{method} {path}: not an operation in the spec"]
        response = op["responses"].get(status)
        if response is None:
            return [f"{method} {template} -> {status}: status not documented"]
        content = response.get("content") or {}
        if not content:
            if entry["body"] not in (None, ""):
                return [f"{method} {template} -> {status}: spec says no body, got {entry['body']!r:.200}"]
            return []
        pointer = "/".join(
            p.replace("~", "~0").replace("/", "~1")
            for p in ("paths", template, method.lower(), "responses", status, "content", "application/json", "schema")
        )
        validator = Draft202012Validator({"$ref": f"{SPEC_URI}#/{pointer}"}, registry=self.registry)
        return [
            f"{method} {template} -> {status}: {self._explain(error)}" for error in validator.iter_errors(entry["body"])
        ]

    @staticmethod
    def _explain(error):
        """The error, or for a oneOf/anyOf the failure of the alternative that came closest."""
        while error.context:
            by_alternative = {}
            for sub in error.context:
                by_alternative.setdefault(sub.relative_schema_path[0], []).append(sub)
            # the alternative whose discriminating constants matched, with the fewest failures
            errors = min(
                by_alternative.values(), key=lambda errs: (any(e.validator == "const" for e in errs), len(errs))
            )
            error = best_match(errors)
        return f"{error.message[:300]} at {list(error.absolute_path)}"
