"""Linkwork's FHIR API driven by two independently written client libraries, as a GP
system and a VCSE partner's system would use them, with no workarounds:

- fhirclient (SMART on FHIR's Python client) as the GP system: it reads the
  CapabilityStatement into its own models, finds the token endpoint in the SMART
  oauth-uris extension, signs in with a signed JWT (SMART Backend Services), searches and
  reads with its models, and creates a referral.
- fhirpy as the GP system (with fhirclient's token) and as the partner (client secret):
  counts, pages by the `next` links, retries a conditional create, syncs by _lastUpdated,
  answers a Task, and is refused a misspelt search parameter.

Run by the HTTP test `fhir::smart::client_libraries_*` against a live server:

    LW_BASE=http://127.0.0.1:PORT LW_GP_CLIENT=gp LW_GP_KEY=key.pem LW_GP_KID=k1 \
    LW_PARTNER_CLIENT=gym LW_PARTNER_SECRET=... LW_NHS=... LW_OUT=dir python clients.py

Every resource received is written to LW_OUT for the validators. Exit 1 on any failure.
"""

import datetime
import json
import os
import sys
import time
import uuid

import jwt  # PyJWT, to sign the client assertion
import requests
from fhirclient import client as smart_client
from fhirclient.models.patient import Patient
from fhirclient.models.servicerequest import ServiceRequest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome

BASE = os.environ["LW_BASE"].rstrip("/")
FHIR = BASE + "/fhir"
GP = os.environ["LW_GP_CLIENT"]
KID = os.environ["LW_GP_KID"]
with open(os.environ["LW_GP_KEY"], encoding="utf-8") as f:
    KEY = f.read()
PARTNER = os.environ["LW_PARTNER_CLIENT"]
PARTNER_SECRET = os.environ["LW_PARTNER_SECRET"]
NHS_NUMBER = os.environ["LW_NHS"].replace(" ", "")
OUT = os.environ["LW_OUT"]
NHS = "https://fhir.nhs.uk/Id/nhs-number"
LW = "https://fhir.linkwork.example"

saved = 0
steps = []


def save(resource):
    global saved
    saved += 1
    name = f"{saved:03d}-{resource['resourceType']}.json"
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        json.dump(resource, f)


def check(cond, what):
    if not cond:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    steps.append(what)
    print(f"ok: {what}")


# SMART discovery, as any SMART client starts.
discovery = requests.get(FHIR + "/.well-known/smart-configuration", timeout=10).json()
TOKEN_URL = discovery["token_endpoint"]
check(
    "private_key_jwt" in discovery["token_endpoint_auth_methods_supported"]
    and "RS384" in discovery["token_endpoint_auth_signing_alg_values_supported"],
    "SMART discovery offers private_key_jwt with RS384",
)


def assertion():
    now = int(time.time())
    claims = {"iss": GP, "sub": GP, "aud": TOKEN_URL, "exp": now + 240, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, KEY, algorithm="RS384", headers={"kid": KID})


# ---- fhirclient, as the GP system -------------------------------------------------------
smart = smart_client.FHIRClient(
    settings={
        "app_id": GP,
        "api_base": FHIR + "/",
        "jwt_token": assertion(),
        "scope": "system/*.read system/ServiceRequest.write",
    }
)
smart.prepare()  # the CapabilityStatement, parsed by fhirclient's models
save(smart.server.capabilityStatement.as_json())
check(
    smart.server.auth is not None and smart.server.auth.auth_type == "oauth2",
    "fhirclient found the token endpoint in the CapabilityStatement (oauth-uris)",
)
smart.authorize()
check(smart.ready and smart.server.auth.access_token, "fhirclient signed in with a signed JWT")
token = smart.server.auth.access_token

found = Patient.where(struct={"identifier": f"{NHS}|{NHS_NUMBER}"}).perform_resources(smart.server)
check(len(found) == 1, "fhirclient finds the patient by NHS number")
patient = Patient.read(found[0].id, smart.server)
save(patient.as_json())
check(
    any(i.value == NHS_NUMBER for i in patient.identifier),
    "fhirclient reads the Patient into its model",
)

REF_SYSTEM = "https://gp-system.example/referral-id"


def referral(value, family, nhs):
    return {
        "resourceType": "ServiceRequest",
        "identifier": [{"system": REF_SYSTEM, "value": value}],
        "status": "active",
        "intent": "order",
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p",
                "identifier": [{"system": NHS, "value": nhs}],
                "name": [{"family": family, "given": ["Client"]}],
                "birthDate": "1950-01-02",
                "gender": "male",
                "address": [{"line": ["1 Test Row"], "city": "Leeds", "postalCode": "LS1 4AP"}],
                "generalPractitioner": [
                    {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y00001"}}
                ],
            },
            {
                "resourceType": "Practitioner",
                "id": "r",
                "name": [{"text": "Dr Library Test"}],
                "telecom": [{"system": "email", "value": "library.test@nhs.example"}],
            },
        ],
        "extension": [{"url": f"{LW}/StructureDefinition/consent-to-refer", "valueBoolean": True}],
        "subject": {"reference": "#p"},
        "requester": {"reference": "#r"},
        "priority": "routine",
        "reasonCode": [{"coding": [{"system": f"{LW}/CodeSystem/need", "code": "loneliness"}]}],
        "note": [{"text": "Sent by a client library."}],
    }


# Everything made before this script is at least a second older than t0.
time.sleep(1.2)
t0 = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
try:
    made = ServiceRequest(jsondict=referral(f"R-{uuid.uuid4()}", "Smartclient", "9000000009")).create(smart.server)
except requests.HTTPError as e:
    check(False, f"fhirclient creates a referral: {e.response.status_code} {e.response.text}")
check(made and made.get("resourceType") == "ServiceRequest", "fhirclient creates a referral")
save(made)

# ---- fhirpy, as the GP system -----------------------------------------------------------
gp = SyncFHIRClient(FHIR, authorization=f"Bearer {token}")
check(
    gp.resources("Patient").search(identifier=f"{NHS}|{NHS_NUMBER}").count() == 1,
    "fhirpy counts (_count=0)",
)
value = f"R-{uuid.uuid4()}"
first, created = (
    gp.resources("ServiceRequest")
    .search(identifier=f"{REF_SYSTEM}|{value}")
    .get_or_create(gp.resource("ServiceRequest", **referral(value, "Retried", "9000000025")))
)
check(created, "fhirpy conditional create makes the referral")
again, created_again = (
    gp.resources("ServiceRequest")
    .search(identifier=f"{REF_SYSTEM}|{value}")
    .get_or_create(gp.resource("ServiceRequest", **referral(value, "Retried", "9000000025")))
)
check(
    not created_again and again.id == first.id,
    "fhirpy's retry returns the same referral (nothing made twice)",
)
save(again.serialize())
# A GP system reads a patient's requests page by page (one a page here, to page at all).
of_patient = gp.resources("ServiceRequest").search(patient=f"Patient/{patient.id}")
ids = [r.id for r in of_patient.limit(1).fetch_all()]
total = of_patient.count()
check(
    len(ids) == total and len(set(ids)) == total and total >= 2,
    f"fhirpy pages one at a time by the next links: {total} ServiceRequests, none missed or repeated",
)
new_since = gp.resources("Patient").search(
    identifier=f"{NHS}|9000000025", _lastUpdated=f"ge{t0}"
)
old_since = gp.resources("Patient").search(
    identifier=f"{NHS}|{NHS_NUMBER}", _lastUpdated=f"ge{t0}"
)
counts = (new_since.count(), old_since.count())
check(
    counts == (1, 0),
    f"fhirpy filters by _lastUpdated: the new patient is there, the one before is not {counts}",
)
raw = new_since.fetch_raw()
save(json.loads(json.dumps(raw, default=lambda o: o.serialize())))
try:
    gp.resources("Patient").search(identifer=f"{NHS}|{NHS_NUMBER}").fetch()
    check(False, "a misspelt search parameter is refused")
except OperationOutcome as e:
    check("identifer" in str(e), "a misspelt search parameter is refused, naming it")

# ---- fhirpy, as the partner -------------------------------------------------------------
got = requests.post(
    TOKEN_URL,
    auth=(PARTNER, PARTNER_SECRET),
    data={"grant_type": "client_credentials", "scope": "system/Task.rs system/Task.u"},
    timeout=10,
).json()
check("access_token" in got and "system/Task.u" in got["scope"], "the partner signs in with SMART v2 scopes")
partner = SyncFHIRClient(FHIR, authorization=f"Bearer {got['access_token']}")
waiting = partner.resources("Task").search(status="requested").limit(1).fetch_all()
check(len(waiting) >= 1, "the partner lists its requested Tasks")
task = waiting[0]
t1 = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)).strftime(
    "%Y-%m-%dT%H:%M:%SZ"
)
task["status"] = "accepted"
task.save()
after = partner.reference("Task", task.id).to_resource()
save(after.serialize())
check(after["status"] == "accepted", "the partner accepts a Task with fhirpy's save (PUT)")
check(
    partner.resources("Task").search(status="requested", _id=task.id).count() == 0,
    "the accepted Task no longer shows as requested",
)
synced = partner.resources("Task").search(_lastUpdated=f"ge{t1}").fetch_all()
check(task.id in {t.id for t in synced}, "the partner syncs by _lastUpdated and sees the Task it changed")
print(f"{len(steps)} checks passed; {saved} resources saved for validation")
