//! The listing form's sections and fields, filled from a draft.

use super::*;

pub(super) fn sections(
    d: &Draft,
    e: &FieldErrors,
    orgs: &[(Organization, Option<i64>)],
    manager: bool,
) -> Vec<Section> {
    let mut out = vec![];
    let mut about = vec![Field::new("text", "name", "Service name")
        .value(d.s("name"))
        .required()
        .errors(e)];
    if manager {
        let mut org_opts = vec![Opt {
            value: String::new(),
            label: "Choose an organisation".into(),
            selected: d.s("organization_id").is_empty(),
        }];
        org_opts.extend(orgs.iter().map(|(o, _)| Opt {
            value: o.id.clone(),
            label: o.name.clone(),
            selected: d.s("organization_id") == o.id,
        }));
        about.push(
            Field::new("select", "organization_id", "Organisation")
                .needed_when("or name a new one below")
                .options(org_opts)
                .errors(e),
        );
        about.push(
            Field::new("text", "new_organization", "Or a new organisation")
                .hint("Only if it is not in the list above")
                .value(d.s("new_organization"))
                .width("30")
                .errors(e),
        );
    }
    about.extend([
        Field::new("textarea", "description", "What happens there")
            .hint("In plain words: who it is for and what people do")
            .value(d.s("description"))
            .errors(e),
        Field::new("checkboxes", "categories", "Categories")
            .hint("Tick all that apply")
            .codes::<Category>(&d.list("categories"), None)
            .errors(e),
        Field::new("select", "status", "Status")
            .options(
                // The Open Referral status codes, in words.
                [
                    ("active", "Running"),
                    ("temporarily closed", "Paused for now (temporarily closed)"),
                    ("inactive", "Not running at the moment"),
                    ("defunct", "Closed for good"),
                ]
                .iter()
                .map(|(code, words)| Opt {
                    value: code.to_string(),
                    label: words.to_string(),
                    selected: d.s("status") == *code
                        || (d.s("status").is_empty() && *code == "active"),
                })
                .collect(),
            )
            .errors(e),
    ]);
    out.push(Section {
        folded: false,
        legend: "About the service".into(),
        fields: about,
    });
    out.push(Section {
        folded: false,
        legend: "Who it is for".into(),
        fields: vec![
            Field::new("text", "minimum_age", "Youngest age")
                .value(d.s("minimum_age"))
                .width("10")
                .errors(e),
            Field::new("text", "maximum_age", "Oldest age")
                .value(d.s("maximum_age"))
                .width("10")
                .errors(e),
            Field::new("textarea", "eligibility", "Other eligibility")
                .value(d.s("eligibility"))
                .errors(e),
            Field::new("text", "languages", "Languages")
                .hint("Separate with commas, for example English, Polish, Urdu")
                .value(d.s("languages"))
                .width("30")
                .errors(e),
            Field::new("checkboxes", "access_features", "Access")
                .codes::<AccessFeature>(&d.list("access_features"), None)
                .errors(e),
        ],
    });
    out.push(Section {
        folded: false,
        legend: "Where".into(),
        fields: {
            let mut venue = vec![
            Field::new("text", "location_name", "Venue")
                .value(d.s("location_name"))
                .width("30")
                .errors(e),
            Field::new("text", "address_1", "Address")
                .value(d.s("address_1"))
                .width("30")
                .errors(e),
            Field::new("text", "city", "Town or city")
                .value(d.s("city"))
                .width("20")
                .errors(e),
            Field::new("text", "postcode", "Postcode")
                .hint("Linkwork finds the map position from the postcode")
                .value(d.s("postcode"))
                .width("10")
                .errors(e),
            ];
            // Managers may place a venue by hand; a partner's venue is placed by its postcode.
            if manager {
                venue.push(
                    Field::new("text", "latitude", "Latitude")
                        .hint("Only if the postcode is not close enough (a venue in a park): decimal degrees, like 53.8008")
                        .value(d.s("latitude"))
                        .width("10")
                        .errors(e),
                );
                venue.push(
                    Field::new("text", "longitude", "Longitude")
                        .value(d.s("longitude"))
                        .width("10")
                        .errors(e),
                );
            }
            venue
        },
    });
    let mut when = vec![];
    for (i, (dk, ok, ck)) in SESSION_KEYS.iter().enumerate() {
        when.push(
            Field::new("text", *dk, &format!("Session {} days", i + 1))
                .hint("For example: Tuesday, Thursday")
                .value(d.s(dk))
                .width("20")
                .errors(e),
        );
        when.push(
            Field::new("text", *ok, &format!("Session {} starts", i + 1))
                .hint("24-hour time, like 10:00")
                .value(d.s(ok))
                .width("10")
                .errors(e),
        );
        when.push(
            Field::new("text", *ck, &format!("Session {} ends", i + 1))
                .value(d.s(ck))
                .width("10")
                .errors(e),
        );
        let (ek, wk) = super::EVERY_KEYS[i];
        let every = if d.s(ek).is_empty() {
            "weekly"
        } else {
            d.s(ek)
        };
        when.push(
            Field::new("select", ek, &format!("Session {} runs", i + 1))
                .options(
                    crate::pages::directory::Every::ALL
                        .iter()
                        .map(|x| Opt {
                            value: x.code().into(),
                            label: x.label().into(),
                            selected: every == x.code(),
                        })
                        .collect(),
                )
                .errors(e),
        );
        let mut weeks = vec![Opt {
            value: String::new(),
            label: "Not monthly".into(),
            selected: d.s(wk).is_empty(),
        }];
        weeks.extend(
            crate::pages::directory::WeekOfMonth::ALL
                .iter()
                .map(|w| Opt {
                    value: w.code().into(),
                    label: format!("{} week of the month", w.label()),
                    selected: d.s(wk) == w.code(),
                }),
        );
        when.push(
            Field::new(
                "select",
                wk,
                &format!("Session {} week of the month", i + 1),
            )
            .needed_when("needed if once a month")
            .options(weeks)
            .errors(e),
        );
    }
    out.push(Section {
        folded: false,
        legend: "When (sessions)".into(),
        fields: when,
    });
    out.push(Section {
        folded: false,
        legend: "Cost and contact".into(),
        fields: vec![
            Field::new("radios", "cost", "Cost")
                .options(vec![
                    Opt {
                        value: "free".into(),
                        label: "Free".into(),
                        selected: d.s("cost") == "free",
                    },
                    Opt {
                        value: "paid".into(),
                        label: "There is a charge".into(),
                        selected: d.s("cost") == "paid",
                    },
                ])
                .errors(e),
            Field::new("text", "cost_amount", "Charge in pounds")
                .value(d.s("cost_amount"))
                .width("10")
                .errors(e),
            Field::new("text", "cost_description", "What the charge covers")
                .value(d.s("cost_description"))
                .width("30")
                .errors(e),
            Field::new("tel", "phone", "Phone")
                .value(d.s("phone"))
                .width("20")
                .errors(e),
            Field::new("email", "email", "Email")
                .value(d.s("email"))
                .width("30")
                .errors(e),
            Field::new("text", "url", "Website")
                .hint("Starting https://")
                .value(d.s("url"))
                .width("30")
                .errors(e),
        ],
    });
    let mut linkwork = vec![
        Field::new("radios", "referral_mode", "How people are connected")
            .options(radios::<ReferralMode>(d.s("referral_mode")))
            .errors(e),
        Field::new("radios", "capacity", "Taking new people?")
            .options(radios::<ServiceCapacity>(d.s("capacity")))
            .errors(e),
        Field::new("text", "response_days", "Days to answer a referral")
            .hint("Leave blank for 14")
            .numeric()
            .value(d.s("response_days"))
            .width("10")
            .errors(e),
    ];
    if manager {
        linkwork.push(
            Field::new("checkbox", "public", "Publish in the open directory feed")
                .value(d.s("public"))
                .errors(e),
        );
    }
    linkwork.push(
        Field::new(
            "checkbox",
            "verified",
            "I have checked these details are correct today",
        )
        .value(d.s("verified"))
        .errors(e),
    );
    out.push(Section {
        folded: false,
        legend: "Referrals and capacity".into(),
        fields: linkwork,
    });
    out
}
