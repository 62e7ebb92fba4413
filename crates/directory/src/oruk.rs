//! The Open Referral UK 3.0 data model, as JSON.
//!
//! Optional fields with no value are omitted when written (never `null`), as the ORUK
//! compliance rules require. A few HSDS 3.0 fields the UK profile leaves out (language
//! names, phones, an eligibility description) are carried because feeds use them and the
//! UK schemas allow extra properties.

use serde::{Deserialize, Serialize};

macro_rules! oruk_struct {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            $($(#[$fm])* pub $field: $ty),*
        }
    };
}

// Short names keep the field declarations below on one line each.
type Opt<T> = Option<T>;
type List<T> = Vec<T>;

oruk_struct!(
    /// A fully nested service (`/services/{id}`).
    Service {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] organization_id: Opt<String>,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] description: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] url: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] email: Opt<String>,
        status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] fees: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] accreditations: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] eligibility_description: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] minimum_age: Opt<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")] maximum_age: Opt<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")] assured_date: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] assurer_email: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] alert: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] last_modified: Opt<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] schedules: List<Schedule>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] service_areas: List<ServiceArea>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] service_at_locations: List<ServiceAtLocation>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] languages: List<Language>,
        #[serde(default, skip_serializing_if = "Option::is_none")] organization: Opt<Organization>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] funding: List<Funding>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] cost_options: List<CostOption>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] contacts: List<Contact>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] phones: List<Phone>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] attributes: List<Attribute>,
    }
);

oruk_struct!(Schedule {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] service_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] service_at_location_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] valid_from: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] valid_to: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] dtstart: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] freq: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] interval: Opt<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")] byday: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] bymonthday: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] description: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] opens_at: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] closes_at: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] schedule_link: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] attending_type: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] notes: Opt<String>,
});

oruk_struct!(ServiceArea {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] service_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] name: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] extent: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] extent_type: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] uri: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] service_area: Opt<String>,
});

oruk_struct!(ServiceAtLocation {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] service_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] location_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] location: Opt<Location>,
});

oruk_struct!(Location {
    id: String,
    location_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] name: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] description: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] latitude: Opt<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")] longitude: Opt<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")] external_identifier: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] external_identifier_type: Opt<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] addresses: List<Address>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] accessibility: List<Accessibility>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] attributes: List<Attribute>,
});

oruk_struct!(Address {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] location_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] attention: Opt<String>,
    address_1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] address_2: Opt<String>,
    city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] region: Opt<String>,
    state_province: String,
    postal_code: String,
    country: String,
    address_type: String,
});

oruk_struct!(Accessibility {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] location_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] description: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] details: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] url: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] accessibility: Opt<String>,
});

oruk_struct!(Language {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] service_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] phone_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] name: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] code: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] note: Opt<String>,
});

oruk_struct!(
    /// An organisation (nested in a service, or on its own).
    Organization {
        id: String,
        name: String,
        description: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] email: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] website: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] logo: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] uri: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] parent_organization_id: Opt<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] organization_identifiers: List<OrganizationIdentifier>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] attributes: List<Attribute>,
    }
);

oruk_struct!(OrganizationIdentifier {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] organization_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] identifier_scheme: Opt<String>,
    identifier_type: String,
    identifier: String,
});

oruk_struct!(Funding {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] service_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] source: Opt<String>,
});

oruk_struct!(CostOption {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] service_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] valid_from: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] valid_to: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] option: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] amount: Opt<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")] amount_description: Opt<String>,
});

oruk_struct!(Contact {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] service_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] name: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] title: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] email: Opt<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")] phones: List<Phone>,
});

oruk_struct!(Phone {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] contact_id: Opt<String>,
    number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] description: Opt<String>,
});

oruk_struct!(Attribute {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] link_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] taxonomy_term_id: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] link_type: Opt<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] taxonomy_term: Opt<TaxonomyTerm>,
});

oruk_struct!(
    /// A taxonomy term (`/taxonomy_terms/{id}`).
    TaxonomyTerm {
        id: String,
        name: String,
        description: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] parent_id: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] taxonomy: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] taxonomy_id: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] term_uri: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] term: Opt<String>,
    }
);

oruk_struct!(
    /// A taxonomy (`/taxonomies/{id}`).
    Taxonomy {
        id: String,
        name: String,
        description: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] uri: Opt<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] version: Opt<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")] taxonomy_terms: List<TaxonomyTerm>,
    }
);

/// The paging envelope of every ORUK list response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page<T> {
    pub total_items: u64,
    pub total_pages: u64,
    pub page_number: u64,
    pub size: u64,
    pub first_page: bool,
    pub last_page: bool,
    pub empty: bool,
    pub contents: Vec<T>,
}

impl<T> Page<T> {
    /// Wraps one page of `contents` out of `total_items`, pages numbered from 1.
    pub fn new(contents: Vec<T>, total_items: u64, page_number: u64, per_page: u64) -> Self {
        let total_pages = if per_page == 0 {
            0
        } else {
            total_items.div_ceil(per_page)
        };
        Self {
            total_items,
            total_pages,
            page_number,
            size: contents.len() as u64,
            first_page: page_number <= 1,
            last_page: page_number >= total_pages,
            empty: contents.is_empty(),
            contents,
        }
    }
}

/// `/service_at_locations` list item: a service at one location, one-to-one fields only.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceAtLocationItem {
    pub id: String,
    pub service_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub service: Service,
    /// Linkwork addition: distance in metres from the `postcode` asked about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<u64>,
}

impl Service {
    /// The list form: one-to-one fields and the organisation, without nested lists.
    pub fn summary(&self) -> Service {
        Service {
            schedules: vec![],
            service_areas: vec![],
            service_at_locations: vec![],
            languages: vec![],
            funding: vec![],
            cost_options: vec![],
            contacts: vec![],
            phones: vec![],
            attributes: vec![],
            organization: self.organization.as_ref().map(|o| Organization {
                organization_identifiers: vec![],
                attributes: vec![],
                ..o.clone()
            }),
            ..self.clone()
        }
    }

    /// The words of each of its service areas (extent, else name), trimmed, empty ones left
    /// out: "Northey St Mary parish".
    pub fn area_texts(&self) -> impl Iterator<Item = &str> {
        self.service_areas
            .iter()
            .filter_map(|a| {
                a.extent
                    .as_deref()
                    .or(a.name.as_deref())
                    .or(a.service_area.as_deref())
            })
            .map(str::trim)
            .filter(|a| !a.is_empty())
    }

    /// The taxonomy-term ids attached to the service.
    pub fn term_ids(&self) -> impl Iterator<Item = &str> {
        self.attributes.iter().filter_map(|a| {
            a.taxonomy_term_id
                .as_deref()
                .or_else(|| a.taxonomy_term.as_ref().map(|t| t.id.as_str()))
        })
    }
}
