#!/usr/bin/env python3
"""Validates FHIR R4 JSON resources with an independent implementation: the
`fhir.resources` models (6.0.0, FHIR 4.0.1), plus checks of the required code bindings
the models leave as free strings (status, intent, gender and the like).

Usage: validate.py DIR   -- every *.json file in DIR is one resource.
Exits 1, listing every problem, if any file fails; prints how many passed.
"""
import json
import pathlib
import sys

try:
    import fhir.resources
    from fhir.resources import construct_fhir_element
except ImportError:
    sys.exit("fhir.resources is not installed: run .ci/run (it creates .venv-fhir), "
             "or pip install 'fhir.resources==6.0.0' 'pydantic[email]<2'")

if fhir.resources.__fhir_version__ != "4.0.1":
    sys.exit(f"expected FHIR 4.0.1 models, got {fhir.resources.__fhir_version__}")

# Required bindings (FHIR R4 value sets) the models do not enforce.
REQUIRED = {
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("ServiceRequest", "status"): {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    ("ServiceRequest", "intent"): {"proposal", "plan", "directive", "order", "original-order", "reflex-order", "filler-order", "instance-order", "option"},
    ("ServiceRequest", "priority"): {"routine", "urgent", "asap", "stat"},
    ("Task", "status"): {"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled", "in-progress", "on-hold", "failed", "completed", "entered-in-error"},
    ("Task", "intent"): {"unknown", "proposal", "plan", "order", "original-order", "reflex-order", "filler-order", "instance-order", "option"},
    ("CarePlan", "status"): {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    ("CarePlan", "intent"): {"proposal", "plan", "order", "option"},
    ("Goal", "lifecycleStatus"): {"proposed", "planned", "accepted", "active", "on-hold", "completed", "cancelled", "entered-in-error", "rejected"},
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"},
    ("Encounter", "status"): {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled", "entered-in-error", "unknown"},
    ("Composition", "status"): {"preliminary", "final", "amended", "entered-in-error"},
    ("Bundle", "type"): {"document", "message", "transaction", "transaction-response", "batch", "batch-response", "history", "searchset", "collection"},
    ("CapabilityStatement", "status"): {"draft", "active", "retired", "unknown"},
    ("Location", "status"): {"active", "suspended", "inactive"},
}
ACTIVITY_STATUS = {"not-started", "scheduled", "in-progress", "on-hold", "completed", "cancelled", "stopped", "unknown", "entered-in-error"}
ISSUE_SEVERITY = {"fatal", "error", "warning", "information"}


def bindings(resource, where, problems):
    kind = resource.get("resourceType")
    for (rtype, field), allowed in REQUIRED.items():
        if rtype == kind and field in resource and resource[field] not in allowed:
            problems.append(f"{where}: {kind}.{field} '{resource[field]}' is not in the required value set")
    if kind == "CarePlan":
        for a in resource.get("activity", []):
            s = a.get("detail", {}).get("status")
            if s not in ACTIVITY_STATUS:
                problems.append(f"{where}: CarePlan.activity.detail.status '{s}' is not allowed")
    if kind == "OperationOutcome":
        for i in resource.get("issue", []):
            if i.get("severity") not in ISSUE_SEVERITY:
                problems.append(f"{where}: OperationOutcome.issue.severity '{i.get('severity')}'")
    if kind == "Bundle":
        entries = resource.get("entry", [])
        if resource.get("type") == "document":
            if not resource.get("identifier") or not resource.get("timestamp"):
                problems.append(f"{where}: a document Bundle needs identifier and timestamp (bdl-9, bdl-10)")
            if not entries or entries[0]["resource"].get("resourceType") != "Composition":
                problems.append(f"{where}: a document Bundle starts with a Composition (bdl-11)")
        if resource.get("type") == "message":
            if not entries or entries[0]["resource"].get("resourceType") != "MessageHeader":
                problems.append(f"{where}: a message Bundle starts with a MessageHeader (bdl-12)")
        urls = [e.get("fullUrl") for e in entries if e.get("fullUrl")]
        if len(urls) != len(set(urls)):
            problems.append(f"{where}: Bundle entries share a fullUrl (bdl-7)")
        for n, e in enumerate(entries):
            bindings(e.get("resource", {}), f"{where} entry {n}", problems)


def empties(value, path, where, problems):
    """FHIR JSON allows no empty values: no "", [], {} or null anywhere (R4 JSON 2.6.2)."""
    if value is None or value == "" or value == [] or value == {}:
        problems.append(f"{where}: {path or 'the resource'} is empty ({json.dumps(value)}), which FHIR JSON forbids")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            empties(v, f"{path}.{k}" if path else k, where, problems)
    elif isinstance(value, list):
        for n, v in enumerate(value):
            empties(v, f"{path}[{n}]", where, problems)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    files = sorted(pathlib.Path(sys.argv[1]).glob("*.json"))
    if not files:
        sys.exit(f"no resources to validate in {sys.argv[1]}")
    problems = []
    kinds = {}
    for f in files:
        try:
            data = json.loads(f.read_text())
            kind = data["resourceType"]
            construct_fhir_element(kind, data)
            bindings(data, f.name, problems)
            empties(data, "", f.name, problems)
            kinds[kind] = kinds.get(kind, 0) + 1
        except Exception as e:  # noqa: BLE001 - every failure is reported
            problems.append(f"{f.name}: {e}")
    if problems:
        print("\n".join(problems))
        sys.exit(f"{len(problems)} problem(s) in {len(files)} FHIR resources")
    summary = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    print(f"validated {len(files)} FHIR R4 resources with fhir.resources {fhir.resources.__version__}: {summary}")


if __name__ == "__main__":
    main()
