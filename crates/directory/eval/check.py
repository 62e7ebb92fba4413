#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Consistency checker for an evaluation set (Harrowby by default; another set's folder as the argument).
Run: python3 crates/directory/eval/check.py [crates/directory/eval-fenbridge]
Each set's check.toml gives its postcode pattern, minimum sizes and whether the age and
step-free judging rules apply."""
import csv, json, math, re, sys, tomllib, uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parent
with open(HERE / "check.toml", "rb") as f:
    SET = tomllib.load(f)
SCHEMA = ROOT / "tests/standards/oruk-3.0/schema/compiled/service.json"
NEEDS = {"mental_health", "long_term_conditions", "loneliness", "complex_social", "financial", "housing", "carer",
         "domestic_abuse", "physical_activity", "healthy_eating", "employment", "bereavement", "substance_use",
         "digital_inclusion", "transport", "relationships"}
DAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
STATUSES = {"active", "inactive", "defunct", "temporarily closed"}
PC_RE = re.compile(SET["postcode_pattern"])
errors = []
def err(msg): errors.append(msg)

def is_uuid(s):
    try: return str(uuid.UUID(s)) == s.lower()
    except (ValueError, AttributeError, TypeError): return False

def km(a, b):
    (la1, lo1), (la2, lo2) = a, b
    p = math.pi / 180
    h = math.sin((la2 - la1) * p / 2) ** 2 + math.cos(la1 * p) * math.cos(la2 * p) * math.sin((lo2 - lo1) * p / 2) ** 2
    return 12742 * math.asin(math.sqrt(h))

# --- postcodes
postcodes = {}
with open(HERE / "postcodes.csv", newline="") as f:
    r = csv.DictReader(f)
    if r.fieldnames != ["postcode", "latitude", "longitude"]: err(f"postcodes.csv header {r.fieldnames}")
    for row in r:
        pc = row["postcode"]
        if not PC_RE.match(pc): err(f"bad postcode format {pc!r}")
        if pc in postcodes: err(f"duplicate postcode {pc}")
        postcodes[pc] = (float(row["latitude"]), float(row["longitude"]))

# --- feed
feed = json.loads((HERE / "feed.json").read_text())
if not isinstance(feed, list): err("feed.json is not a JSON array")
all_ids = {}
def claim(id_, what):
    if not is_uuid(id_): err(f"{what}: id {id_!r} is not a UUID")
    if id_ in all_ids and all_ids[id_] != what.split(":")[0]:
        pass  # shared nested objects (locations, taxonomy terms) may repeat
    all_ids.setdefault(id_, what.split(":")[0])

services, terms, seen_org, seen_svc = {}, {}, set(), set()
shared = {}  # location/term id -> canonical json, repeated copies must agree
validator = None
try:
    import jsonschema
    schema = json.loads(SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
except ImportError:
    print("jsonschema not installed: checking required fields only")

def walk_ids(obj, path):
    if isinstance(obj, dict):
        if "id" in obj and not is_uuid(obj["id"]): err(f"{path}: id {obj['id']!r} is not a UUID")
        for k, v in obj.items(): walk_ids(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj): walk_ids(v, f"{path}[{i}]")

nested_ids = {}
for org in feed:
    for k in ("id", "name", "description"):
        if not org.get(k): err(f"organization missing {k}: {org.get('id')}")
    if org["id"] in seen_org: err(f"duplicate organization id {org['id']}")
    seen_org.add(org["id"])
    for s in org.get("services", []):
        walk_ids(s, f"service {s.get('id')}")
        for k in ("id", "name", "status", "description"):
            if not s.get(k): err(f"service {s.get('id')} missing {k}")
        if s["id"] in seen_svc: err(f"duplicate service id {s['id']}")
        seen_svc.add(s["id"])
        if s.get("organization_id") != org["id"]: err(f"service {s['id']} organization_id mismatch")
        if s["status"] not in STATUSES: err(f"service {s['id']} bad status {s['status']}")
        if not re.search(r"@[a-z0-9.-]+\.example$", s.get("email", "")): err(f"service {s['id']} email not *.example")
        if not re.match(r"https://[a-z0-9.-]+\.example(/|$)", s.get("url", "")): err(f"service {s['id']} url not *.example")
        for c in s.get("contacts", []):
            for p in c.get("phones", []):
                m = re.fullmatch(r"01632 (\d{6})", p["number"])
                if not m or not 960000 <= int(m.group(1)) <= 960999: err(f"service {s['id']} phone {p['number']} outside Ofcom drama range")
        if not s.get("service_at_locations") and not s.get("service_areas"):
            err(f"service {s['id']} has neither a location nor a service area")
        for sal in s.get("service_at_locations", []):
            loc = sal.get("location") or {}
            for a in loc.get("addresses", []):
                pc = a["postal_code"]
                if pc not in postcodes: err(f"location {loc['id']} postcode {pc} not in postcodes.csv")
                elif km(postcodes[pc], (loc["latitude"], loc["longitude"])) > 1.0:
                    err(f"location {loc['id']} is >1 km from its postcode {pc}")
            key = json.dumps(loc, sort_keys=True)
            if shared.setdefault(loc["id"], key) != key: err(f"location {loc['id']} differs between copies")
        for a in s.get("attributes", []):
            t = a.get("taxonomy_term") or {}
            if a.get("taxonomy_term_id") != t.get("id"): err(f"service {s['id']} attribute term id mismatch")
            terms[t["id"]] = t.get("name")
            key = json.dumps(t, sort_keys=True)
            if shared.setdefault(t["id"], key) != key: err(f"taxonomy term {t['id']} differs between copies")
        if validator is not None:
            for e in validator.iter_errors(s):
                err(f"service {s['id']} schema: {'/'.join(map(str, e.path))}: {e.message}")
        services[s["id"]] = s

# --- judged sets
def check_judged(kind, items):
    ids = set()
    for it in items:
        iid = it.get("id")
        if not iid or iid in ids: err(f"{kind}: missing or duplicate id {iid!r}")
        ids.add(iid)
        pc = it.get("postcode")
        if pc is not None and pc not in postcodes: err(f"{kind} {iid}: postcode {pc} not in postcodes.csv")
        j = it.get("judgements", {})
        if not j: err(f"{kind} {iid}: no judgements")
        for sid, g in j.items():
            if sid not in services: err(f"{kind} {iid}: judged id {sid} not in feed")
            if g not in (1, 2, 3): err(f"{kind} {iid}: grade {g!r} for {sid} not 1-3")
        for sid in it.get("must_never", []):
            if sid not in services: err(f"{kind} {iid}: must_never id {sid} not in feed")
            if sid in j: err(f"{kind} {iid}: {sid} is both judged and must_never")
        for sid, g in j.items():
            if sid in services and services[sid]["status"] != "active":
                err(f"{kind} {iid}: judged service {sid} is not active")
    return ids

searches = tomllib.loads((HERE / "searches.toml").read_text())["search"]
people = tomllib.loads((HERE / "people.toml").read_text())["person"]
check_judged("search", searches)
for s in searches:
    if not s.get("query"): err(f"search {s['id']}: empty query")
check_judged("person", people)
for p in people:
    if p.get("sex") not in ("female", "male"): err(f"person {p['id']}: sex {p.get('sex')!r}")
    if not isinstance(p.get("age"), int): err(f"person {p['id']}: age missing")
    for n, v in p.get("needs", {}).items():
        if n not in NEEDS: err(f"person {p['id']}: unknown need code {n}")
        if v not in range(1, 6): err(f"person {p['id']}: need score {v} not 1-5")
    if not p.get("needs"): err(f"person {p['id']}: no needs")
    for d in p.get("days", []):
        if d not in DAYS: err(f"person {p['id']}: bad day {d}")
    if not isinstance(p.get("interests"), list) or not p.get("what_matters"): err(f"person {p['id']}: interests/what_matters missing")

# --- the judging rules stated in README.md
BYDAY = {"MO": "mon", "TU": "tue", "WE": "wed", "TH": "thu", "FR": "fri", "SA": "sat", "SU": "sun"}
for p in people:
    for sid, g in p.get("judgements", {}).items():
        s = services.get(sid)
        if s is None: continue
        cost = max([c.get("amount", 0) or 0 for c in s.get("cost_options", [])] or [0])
        if p.get("free_only") and cost > 0 and g > 1:
            err(f"person {p['id']}: free_only but paid service {sid} graded {g}")
        locs = [x["location"] for x in s.get("service_at_locations", []) if x.get("location")]
        if locs and "max_km" in p and p.get("postcode") in postcodes:
            d = km(postcodes[p["postcode"]], (locs[0]["latitude"], locs[0]["longitude"]))
            if d > p["max_km"]: err(f"person {p['id']}: {sid} is {d:.1f} km away, beyond max_km")
        if "days" in p and s.get("schedules"):
            days = {BYDAY[x.strip()[-2:]] for sc in s["schedules"] for x in sc.get("byday", "").split(",") if x.strip()}
            if days and not days & set(p["days"]): err(f"person {p['id']}: {sid} runs on {sorted(days)}, not on the person's days")

# --- age limits and step-free access (sets whose check.toml asks for them)
STEPS_RE = re.compile(r"no lift|no ramp|steps? up", re.I)
for p in (people if SET.get("age_and_step_free_rules") else []):
    for sid, g in p.get("judgements", {}).items():
        s = services.get(sid)
        if s is None: continue
        lo, hi = s.get("minimum_age"), s.get("maximum_age")
        early_years = hi is not None and hi <= 5  # ages describe the child, not the adult who comes with them
        if not early_years and ((lo is not None and p["age"] < lo) or (hi is not None and p["age"] > hi)):
            err(f"person {p['id']}: {sid} is for ages {lo}-{hi}, person is {p['age']}")
        if p.get("step_free"):
            for x in s.get("service_at_locations", []):
                for a in (x.get("location") or {}).get("accessibility", []):
                    if STEPS_RE.search(a.get("description", "")):
                        err(f"person {p['id']}: step_free but {sid} is at a venue with '{a['description']}'")

# --- counts
n_judged = sum(len(x["judgements"]) for x in searches + people)
n_never = sum(len(x.get("must_never", [])) for x in searches + people)
by_status = {}
for s in services.values(): by_status[s["status"]] = by_status.get(s["status"], 0) + 1
print(f"organisations: {len(feed)}")
print(f"services: {len(services)} ({', '.join(f'{k} {v}' for k, v in sorted(by_status.items()))})")
print(f"services without taxonomy: {sum(1 for s in services.values() if not s.get('attributes'))}")
print(f"services with service_areas and no location: {sum(1 for s in services.values() if s.get('service_areas') and not s.get('service_at_locations'))}")
print(f"taxonomy terms used: {len(terms)}")
print(f"postcodes: {len(postcodes)}")
print(f"searches: {len(searches)}  people: {len(people)}  judgements: {n_judged}  must_never: {n_never}")
print(f"schema validation: {'jsonschema (' + SCHEMA.name + ')' if validator else 'required fields only'}")
for cond, msg in ((len(services) >= SET["min_services"], f"fewer than {SET['min_services']} services"),
                  (len(feed) >= SET["min_organisations"], f"fewer than {SET['min_organisations']} organisations"),
                  (len(searches) >= SET["min_searches"], f"fewer than {SET['min_searches']} searches"),
                  (len(people) >= SET["min_people"], f"fewer than {SET['min_people']} people")):
    if not cond: err(msg)
if errors:
    print(f"\nFAILED: {len(errors)} problem(s)")
    for e in errors[:200]: print("  -", e)
    sys.exit(1)
print("OK")
