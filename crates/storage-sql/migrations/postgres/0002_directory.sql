-- Community directory (Open Referral UK 3.0). Services and organisations are held as
-- ORUK JSON documents keyed by their ORUK ids; Linkwork's own listing facts are a
-- separate JSON document so they never mix with the published ORUK fields.

CREATE TABLE dir_organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    partner_org_id BIGINT REFERENCES partner_orgs(id),
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX dir_organizations_partner ON dir_organizations(partner_org_id);

CREATE TABLE dir_services (
    id TEXT PRIMARY KEY,
    organization_id TEXT,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    doc TEXT NOT NULL,
    listing TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX dir_services_org ON dir_services(organization_id);

CREATE TABLE dir_service_locations (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES dir_services(id)
);
CREATE INDEX dir_service_locations_service ON dir_service_locations(service_id);

CREATE TABLE dir_taxonomies (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);

CREATE TABLE dir_taxonomy_terms (
    id TEXT PRIMARY KEY,
    taxonomy_id TEXT,
    doc TEXT NOT NULL
);

CREATE TABLE dir_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO dir_generation (id, generation) VALUES (1, 0);

CREATE TABLE postcodes (
    postcode TEXT PRIMARY KEY,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL
);
