//! The OpenAPI 3.1 description of `/api/v1`. A test checks that every route of
//! `super::routes()` is described here, so the two cannot drift apart.

use axum::Json;
use serde_json::{json, Value};

pub async fn document() -> Json<Value> {
    Json(spec())
}

fn err() -> Value {
    json!({"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn ok(schema: &str, description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn id_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "integer"}})
}

fn body(schema: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

pub fn spec() -> Value {
    let std_errors = |mut responses: Value| {
        for code in ["401", "403", "404", "409", "422"] {
            responses[code] = err();
        }
        responses
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Linkwork API",
            "version": "1",
            "description": "People, referrals, episodes and caseloads of a Primary Care Network's social prescribing service. \
                Authenticate with a personal API token (Settings → API tokens) sent as `Authorization: Bearer <token>`. \
                The same rules as the pages apply: role, PCN and audit. Records of another PCN answer 404."
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/me": {"get": {"summary": "The signed-in user", "responses": std_errors(json!({"200": ok("User", "The user")}))}},
            "/people": {
                "get": {
                    "summary": "Search people in your PCN",
                    "parameters": [
                        {"name": "name", "in": "query", "schema": {"type": "string"}},
                        {"name": "nhs_number", "in": "query", "schema": {"type": "string"}},
                        {"name": "date_of_birth", "in": "query", "schema": {"type": "string", "format": "date"}},
                        {"name": "postcode", "in": "query", "schema": {"type": "string"}, "description": "Full postcode or outward code"}
                    ],
                    "responses": std_errors(json!({"200": ok("PersonList", "Matching people")}))
                },
                "post": {
                    "summary": "Add a person",
                    "requestBody": body("PersonCreate"),
                    "responses": std_errors(json!({"201": ok("Person", "Created")}))
                }
            },
            "/people/{id}": {
                "get": {"summary": "Read a person's record", "parameters": [id_param("id")], "responses": std_errors(json!({"200": ok("Person", "The person")}))},
                "put": {
                    "summary": "Update a person's details (optimistic versioning: send the version you read)",
                    "parameters": [id_param("id")],
                    "requestBody": body("PersonUpdate"),
                    "responses": std_errors(json!({"200": ok("Person", "Updated")}))
                }
            },
            "/referrals": {"post": {
                "summary": "Make a referral; opens an episode in the unassigned queue. Refused without consent.",
                "requestBody": body("ReferralCreate"),
                "responses": std_errors(json!({"201": ok("ReferralCreated", "Referral and episode")}))
            }},
            "/referrals/mine": {"get": {"summary": "Referrals you made and what happened", "responses": std_errors(json!({"200": {"description": "Referrals"}}))}},
            "/episodes/unassigned": {"get": {"summary": "The PCN's unassigned queue", "responses": std_errors(json!({"200": {"description": "Episodes waiting"}}))}},
            "/episodes/{id}": {"get": {"summary": "Read an episode", "parameters": [id_param("id")], "responses": std_errors(json!({"200": ok("Episode", "The episode")}))}},
            "/episodes/{id}/assign": {"post": {
                "summary": "Assign an episode to a link worker",
                "parameters": [id_param("id")],
                "requestBody": body("Assign"),
                "responses": std_errors(json!({"200": ok("Episode", "Assigned")}))
            }},
            "/episodes/{id}/transition": {"post": {
                "summary": "Move an episode to another state (legal moves only; declined and unable_to_contact need why; discharged is refused: use /episodes/{id}/discharge)",
                "parameters": [id_param("id")],
                "requestBody": body("Transition"),
                "responses": std_errors(json!({"200": ok("Episode", "Moved")}))
            }},
            "/episodes/{id}/records": {"get": {
                "summary": "An episode's records, oldest first: assessments, plans, measures, referrals back, health-service use, the discharge summary (safeguarding concerns are read on their pages by the supervisor assigned)",
                "parameters": [id_param("id")],
                "responses": std_errors(json!({"200": ok("RecordList", "The records")}))
            }},
            "/episodes/{id}/assessments": {"post": {
                "summary": "Record an assessment (or reassessment) of what matters and the person's needs, checked as on the page",
                "parameters": [id_param("id")],
                "requestBody": body("AssessmentCreate"),
                "responses": std_errors(json!({"201": ok("RecordMade", "Recorded")}))
            }},
            "/episodes/{id}/plans": {"post": {
                "summary": "Record a personalised care and support plan, or a review of the last one (based_on: its record id), checked as on the page; 409 if a newer version was saved since",
                "parameters": [id_param("id")],
                "requestBody": body("PlanCreate"),
                "responses": std_errors(json!({"201": ok("RecordMade", "Recorded")}))
            }},
            "/episodes/{id}/measures": {"post": {
                "summary": "Record an outcome measure (ONS4, SWEMWBS, WEMWBS, MYCaW …), checked as on the page; a review or discharge dated the baseline's day needs same_day_confirmed",
                "parameters": [id_param("id")],
                "requestBody": body("MeasureCreate"),
                "responses": std_errors(json!({"201": ok("RecordMade", "Recorded")}))
            }},
            "/episodes/{id}/referrals-back": {"post": {
                "summary": "Record a referral back to a clinician",
                "parameters": [id_param("id")],
                "requestBody": body("ReferralBackCreate"),
                "responses": std_errors(json!({"201": ok("RecordMade", "Recorded")}))
            }},
            "/episodes/{id}/discharge": {"post": {
                "summary": "Discharge the episode with a reason and a closing summary (the only way to discharge)",
                "parameters": [id_param("id")],
                "requestBody": body("Discharge"),
                "responses": std_errors(json!({"200": ok("Episode", "Discharged")}))
            }},
            "/episodes/{id}/connections": {
                "get": {
                    "summary": "An episode's signposts and referrals to community services, oldest first",
                    "parameters": [id_param("id")],
                    "responses": std_errors(json!({"200": ok("ConnectionList", "The connections")}))
                },
                "post": {
                    "summary": "Signpost or refer the person to a directory service, as the page does: a referral needs consent and a service that takes referrals (409 otherwise); the same service still open in this episode is 409; only the details in share are sent",
                    "parameters": [id_param("id")],
                    "requestBody": body("ConnectionCreate"),
                    "responses": std_errors(json!({"201": ok("ConnectionMade", "Signposted or referred")}))
                }
            },
            "/connections/{id}/status": {"post": {
                "summary": "Cancel a connection, or record the organisation's answer when it has no Linkwork account (the closed loop's moves only; 409 if changed since read)",
                "parameters": [id_param("id")],
                "requestBody": body("ConnectionStatus"),
                "responses": std_errors(json!({"200": ok("ConnectionMade", "Changed")}))
            }},
            "/episodes/{id}/safeguarding": {"post": {
                "summary": "Raise a safeguarding concern to one of the PCN's GP supervisors, checked as on the page. If someone is in immediate danger, call 999 first.",
                "parameters": [id_param("id")],
                "requestBody": body("ConcernCreate"),
                "responses": std_errors(json!({"201": ok("ConcernOne", "Raised")}))
            }},
            "/safeguarding": {"get": {
                "summary": "Open safeguarding concerns you may see (a supervisor's own; a link worker's raised or about their people; all for a manager), overdue first",
                "responses": std_errors(json!({"200": ok("ConcernList", "Open concerns")}))
            }},
            "/safeguarding/{id}": {"get": {
                "summary": "One concern, for the GP supervisor it was raised to (another supervisor: 404; other roles: 403)",
                "parameters": [id_param("id")],
                "responses": std_errors(json!({"200": ok("ConcernOne", "The concern")}))
            }},
            "/safeguarding/{id}/close": {"post": {
                "summary": "Record the action taken and close the concern (the supervisor it was raised to; 409 if closed or changed since read)",
                "parameters": [id_param("id")],
                "requestBody": body("ConcernClose"),
                "responses": std_errors(json!({"200": ok("ConcernOne", "Closed")}))
            }},
            "/episodes/{id}/contacts": {
                "get": {
                    "summary": "An episode's contacts, newest first",
                    "parameters": [id_param("id")],
                    "responses": std_errors(json!({"200": {"description": "The contacts"}}))
                },
                "post": {
                    "summary": "Record a contact; the first contact moves a referred episode to contacting",
                    "parameters": [id_param("id")],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["contact_type", "date", "version"], "properties": {
                        "contact_type": {"type": "string", "enum": ["telephone", "face_to_face", "home_visit", "video", "community_venue", "text_email", "group"]},
                        "date": {"type": "string", "format": "date"},
                        "time": {"type": "string", "description": "HH:MM, 24-hour"},
                        "duration_minutes": {"type": "string", "description": "1–480; not needed when did_not_attend"},
                        "did_not_attend": {"type": "boolean"},
                        "present": {"type": "array", "items": {"type": "string", "enum": ["person", "carer", "family", "interpreter"]}},
                        "notes": {"type": "string"},
                        "version": {"type": "integer", "description": "The episode's version"}
                    }}}}},
                    "responses": std_errors(json!({"201": {"description": "The contact and the updated episode"}}))
                }
            },
            "/caseloads/{user_id}": {"get": {
                "summary": "A link worker's caseload",
                "parameters": [
                    id_param("user_id"),
                    {"name": "state", "in": "query", "schema": {"type": "string"}, "description": "open (default) or an episode state"},
                    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["waiting", "name", "next", "last"]}}
                ],
                "responses": std_errors(json!({"200": {"description": "Caseload and capacity"}}))
            }},
            "/directory/services/{id}": {
                "get": {
                    "summary": "A directory service (ORUK record) with Linkwork's listing facts",
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                    "responses": std_errors(json!({"200": {"description": "The service, its listing and version"}}))
                },
                "patch": {
                    "summary": "Update a listing's capacity, referral mode, response time or verification (managers, or the service's own partner organisation)",
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["version"], "properties": {
                        "capacity": {"type": "string", "enum": ["accepting", "waiting_list", "full"]},
                        "referral_mode": {"type": "string", "enum": ["referral", "signpost"]},
                        "response_days": {"type": "integer", "minimum": 1, "maximum": 365},
                        "verified": {"type": "boolean"},
                        "version": {"type": "integer"}
                    }}}}},
                    "responses": std_errors(json!({"200": {"description": "The updated service"}}))
                }
            }
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                    "status": {"type": "integer"}, "title": {"type": "string"}, "message": {"type": "string"},
                    "fields": {"type": "array", "description": "Each problem with what was sent. `field` names the body's member, or for nested answers the page form's field the rule belongs to: `score_<need code>` and `note_<need code>` for an assessment's needs, `goal_<n>`, `action_what_<n>`, `action_owner_<n>`, `action_owner_name_<n>`, `action_due_<n>` (from 1) for a plan's goals and actions, an instrument's item code for a measure's answers.", "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}
                }}}},
                "User": {"type": "object", "properties": {"id": {"type": "integer"}, "email": {"type": "string"}, "name": {"type": "string"}, "role": {"type": "string", "enum": ["admin", "manager", "link_worker", "supervisor", "referrer", "partner"]}}},
                "PersonDraft": {"type": "object", "required": ["given_name", "family_name", "date_of_birth"], "properties": {
                    "given_name": {"type": "string"}, "family_name": {"type": "string"},
                    "date_of_birth": {"type": "string", "format": "date"},
                    "nhs_number": {"type": "string", "description": "10 digits with a valid modulus 11 check digit; optional"},
                    "sex": {"type": "string", "enum": ["female", "male", "other", "unknown"]},
                    "gender_identity": {"type": "string"},
                    "ethnicity": {"type": "string", "description": "NHS ethnic category code, A–Z"},
                    "language": {"type": "string"}, "interpreter_needed": {"type": "boolean"},
                    "access_needs": {"type": "array", "items": {"type": "string"}},
                    "access_notes": {"type": "string"},
                    "carer_status": {"type": "string", "enum": ["not_a_carer", "carer", "young_carer", "has_carer", "unknown"]},
                    "carer_details": {"type": "string"}, "practice_id": {"type": "integer"},
                    "address": {"type": "string"}, "postcode": {"type": "string", "description": "UK postcode"},
                    "phone": {"type": "string"}, "email": {"type": "string"},
                    "preferred_contact": {"type": "string", "enum": ["phone", "text", "email", "letter"]},
                    "voicemail_ok": {"type": "string", "enum": ["yes", "no", ""], "description": "Whether it is safe to leave a voicemail; empty when not asked"},
                    "texts_ok": {"type": "string", "enum": ["yes", "no", ""], "description": "Whether they agree to texts; empty when not asked"}
                }},
                "PersonCreate": {"allOf": [{"$ref": "#/components/schemas/PersonDraft"}, {"type": "object", "properties": {"confirm_not_duplicate": {"type": "boolean"}}}]},
                "PersonUpdate": {"allOf": [{"$ref": "#/components/schemas/PersonDraft"}, {"type": "object", "required": ["version"], "properties": {"version": {"type": "integer"}}}]},
                "Person": {"allOf": [{"$ref": "#/components/schemas/PersonDraft"}, {"type": "object", "properties": {"id": {"type": "integer"}, "version": {"type": "integer"}}}]},
                "PersonList": {"type": "object", "properties": {"people": {"type": "array", "items": {"$ref": "#/components/schemas/Person"}}}},
                "ReferralCreate": {"type": "object", "required": ["source", "consent"], "properties": {
                    "person_id": {"type": "integer"}, "person": {"$ref": "#/components/schemas/PersonDraft"},
                    "source": {"type": "string"}, "referrer_name": {"type": "string"}, "referrer_role": {"type": "string"},
                    "referrer_organisation": {"type": "string"}, "referrer_contact": {"type": "string"},
                    "needs": {"type": "array", "items": {"type": "string"}}, "reason": {"type": "string"},
                    "urgency": {"type": "string", "enum": ["routine", "soon", "urgent"]},
                    "consent": {"type": "boolean", "description": "The person agrees to be referred; must be true"}
                }},
                "ReferralCreated": {"type": "object", "properties": {"referral": {"type": "object"}, "episode": {"$ref": "#/components/schemas/Episode"}}},
                "Episode": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "person_id": {"type": "integer"}, "referral_id": {"type": "integer"},
                    "state": {"type": "string", "enum": ["referred", "contacting", "accepted", "declined", "unable_to_contact", "assessed", "plan_agreed", "active", "discharged"]},
                    "link_worker_id": {"type": ["integer", "null"]}, "version": {"type": "integer"}
                }},
                "Assign": {"type": "object", "required": ["version", "link_worker_id"], "properties": {"version": {"type": "integer"}, "link_worker_id": {"type": "integer"}}},
                "Record": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "episode_id": {"type": "integer"},
                    "kind": {"type": "string", "enum": ["assessment", "plan", "measure", "referral_back", "health_use", "discharge"]},
                    "status": {"type": "string"}, "body": {"type": "object", "description": "The record as the pages keep it"},
                    "due_at": {"type": ["string", "null"], "format": "date-time"},
                    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
                    "version": {"type": "integer"}}},
                "RecordList": {"type": "object", "properties": {"records": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}}}},
                "RecordMade": {"type": "object", "properties": {"record": {"$ref": "#/components/schemas/Record"}}},
                "AssessmentCreate": {"type": "object", "additionalProperties": false, "required": ["assessed_on", "what_matters"], "properties": {
                    "assessed_on": {"type": "string", "format": "date"},
                    "what_matters": {"type": "string", "description": "In the person's own words"},
                    "strengths": {"type": "string"},
                    "interests": {"type": "array", "items": {"type": "string"}, "description": "Activity category codes, as on the page"},
                    "interest_words": {"type": "string"},
                    "free_only": {"type": "boolean"}, "step_free": {"type": "boolean"},
                    "days": {"type": "array", "items": {"type": "string"}},
                    "times": {"type": "array", "items": {"type": "string"}},
                    "max_miles": {"type": "string"},
                    "needs": {"type": "object", "description": "Need code → score (1–5) and note", "additionalProperties": {"type": "object", "properties": {"score": {"type": "string"}, "note": {"type": "string"}}}}}},
                "PlanCreate": {"type": "object", "additionalProperties": false, "required": ["based_on", "what_matters", "review_on"], "properties": {
                    "based_on": {"type": ["integer", "null"], "description": "The plan record this reviews; null for the first plan"},
                    "what_matters": {"type": "string"},
                    "goals": {"type": "array", "maxItems": 5, "items": {"type": "string"}},
                    "actions": {"type": "array", "maxItems": 6, "items": {"type": "object", "additionalProperties": false, "properties": {
                        "what": {"type": "string"}, "owner": {"type": "string", "description": "An owner code, as on the page"},
                        "owner_name": {"type": "string"}, "due": {"type": "string", "format": "date"}}}},
                    "support_offered": {"type": "string"},
                    "review_on": {"type": "string", "format": "date"},
                    "phb_status": {"type": "string"}, "phb_basis": {"type": "string"},
                    "phb_referred_on": {"type": "string", "format": "date"}, "phb_notes": {"type": "string"}}},
                "MeasureCreate": {"type": "object", "required": ["instrument", "point", "taken_on"], "properties": {
                    "instrument": {"type": "string", "description": "An instrument code, as on the measure page"},
                    "point": {"type": "string", "enum": ["baseline", "review", "discharge"]},
                    "taken_on": {"type": "string", "format": "date"},
                    "answers": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Item code → answer, as the page's fields"},
                    "same_day_confirmed": {"type": "boolean"}}},
                "ReferralBackCreate": {"type": "object", "required": ["clinician", "reason"], "properties": {"clinician": {"type": "string"}, "reason": {"type": "string"}}},
                "Discharge": {"type": "object", "required": ["version", "reason", "summary"], "properties": {"version": {"type": "integer"}, "reason": {"type": "string", "description": "A discharge reason code"}, "summary": {"type": "string", "description": "The closing summary"}}},
                "Connection": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "episode_id": {"type": "integer"}, "person_id": {"type": "integer"},
                    "service_id": {"type": "string"}, "service_name": {"type": "string"}, "organization_name": {"type": "string"},
                    "kind": {"type": "string", "enum": ["signpost", "referral"]},
                    "status": {"type": "string", "enum": ["requested", "accepted", "rejected", "in-progress", "on-hold", "completed", "failed", "cancelled"]},
                    "reason": {"type": ["string", "null"]}, "note": {"type": "string"},
                    "consent_at": {"type": ["string", "null"], "format": "date-time"},
                    "shared": {"type": "object", "description": "What the organisation sees"},
                    "due_at": {"type": ["string", "null"], "format": "date-time"},
                    "version": {"type": "integer"}}},
                "ConnectionList": {"type": "object", "properties": {"connections": {"type": "array", "items": {"$ref": "#/components/schemas/Connection"}}}},
                "ConnectionMade": {"type": "object", "properties": {"connection": {"$ref": "#/components/schemas/Connection"}}},
                "ConnectionCreate": {"type": "object", "additionalProperties": false, "required": ["kind", "service"], "properties": {
                    "kind": {"type": "string", "enum": ["signpost", "referral"]},
                    "service": {"type": "string", "description": "The directory service's id"},
                    "about": {"type": "string", "description": "What they would like help with, in words agreed with them; no medical details"},
                    "consent": {"type": "boolean", "description": "The person agrees to share these details; required for a referral"},
                    "share": {"type": "array", "items": {"type": "string", "enum": ["phone", "email", "age", "access"]}, "description": "Details shared besides the name"}}},
                "ConnectionStatus": {"type": "object", "additionalProperties": false, "required": ["version", "to"], "properties": {
                    "version": {"type": "integer"},
                    "to": {"type": "string", "description": "cancelled, or the organisation's answer (accepted, rejected, in-progress, on-hold, completed, failed)"},
                    "reason": {"type": "string", "enum": ["no_capacity", "not_eligible", "could_not_contact", "no_longer_interested", "referred_elsewhere", "other"]},
                    "note": {"type": "string"}}},
                "Concern": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "episode_id": {"type": "integer"}, "person_id": {"type": "integer"},
                    "status": {"type": "string", "enum": ["open", "closed"]},
                    "raised_at": {"type": "string", "format": "date-time"}, "raised_to": {"type": "integer"},
                    "about": {"type": ["string", "null"]}, "kinds": {"type": "array", "items": {"type": "string"}},
                    "urgency": {"type": "string"}, "respond_by": {"type": "string", "format": "date-time"},
                    "concern": {"type": "string"}, "action_so_far": {"type": "string"},
                    "la_contacted": {"type": ["boolean", "null"]}, "la_contacted_on": {"type": ["string", "null"], "format": "date"},
                    "action": {"type": "string"}, "closed_on": {"type": ["string", "null"], "format": "date"},
                    "person_name": {"type": "string", "description": "In lists"}, "raised_by": {"type": "string", "description": "In lists"},
                    "overdue": {"type": "boolean", "description": "In lists"},
                    "version": {"type": "integer"}}},
                "ConcernOne": {"type": "object", "properties": {"concern": {"$ref": "#/components/schemas/Concern"}}},
                "ConcernList": {"type": "object", "properties": {"concerns": {"type": "array", "items": {"$ref": "#/components/schemas/Concern"}}}},
                "ConcernCreate": {"type": "object", "additionalProperties": false, "required": ["concern", "raised_to"], "properties": {
                    "about": {"type": "string", "enum": ["adult", "child"], "description": "Who it is about"},
                    "kinds": {"type": "array", "items": {"type": "string", "enum": ["physical", "domestic", "sexual", "psychological", "financial", "modern_slavery", "discriminatory", "organisational", "neglect", "self_neglect", "exploitation", "self_harm", "other"]}, "description": "Kinds of abuse or concern"},
                    "urgency": {"type": "string", "enum": ["immediate", "urgent", "routine"]},
                    "concern": {"type": "string", "description": "What you saw or were told, and when"},
                    "action_so_far": {"type": "string"},
                    "la_contacted": {"type": "string", "enum": ["yes", "no", ""]},
                    "la_contacted_on": {"type": "string", "format": "date", "description": "Needed if yes"},
                    "raised_to": {"type": "integer", "description": "The user id of one of the PCN's GP supervisors"}}},
                "ConcernClose": {"type": "object", "additionalProperties": false, "required": ["version", "action"], "properties": {
                    "version": {"type": "integer"},
                    "action": {"type": "string", "description": "Who was told, what was decided, and any follow-up"},
                    "la_contacted": {"type": "string", "enum": ["yes", "no", ""], "description": "Left out: the answer given when raised stands"},
                    "la_contacted_on": {"type": "string", "format": "date"}}},
                "Transition": {"type": "object", "required": ["version", "state"], "properties": {"version": {"type": "integer"}, "state": {"type": "string", "description": "Not discharged: use /episodes/{id}/discharge"}, "why": {"type": "string", "description": "Why, for declined and unable_to_contact"}}}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_api_route_is_described() {
        let spec = super::spec();
        let (_, table) = super::super::routes().into_parts();
        let routes: Vec<_> = table
            .iter()
            .filter(|r| r.path != "/openapi.json")
            .map(|r| (r.method.as_str().to_lowercase(), r.path.as_str()))
            .collect();
        for (method, path) in &routes {
            assert!(
                spec["paths"][path][method.as_str()].is_object(),
                "{method} {path} is missing from openapi.json"
            );
        }
        let described: usize = spec["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_object().unwrap().len())
            .sum();
        assert_eq!(
            described,
            routes.len(),
            "openapi.json describes a route the API does not have"
        );
    }
}
