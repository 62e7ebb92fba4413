//! The demo's community directory: 160 synthetic services across every activity category,
//! around the demo PCN's postcodes, and a synthetic postcode table for those districts.
//! Every organisation, venue and phone number is made up.

use crate::demo::Rng;
use anyhow::Result;
use chrono::Duration;
use directory::oruk::{
    Address, CostOption, Language, Location, Organization, Phone, Schedule, ServiceAtLocation,
};
use directory::validate::derived_id;
use directory::{Directory, Entry, Listing, Parsed};
use domain::{AccessFeature, Category, Code, ReferralMode, ServiceCapacity, Weekday};
use std::collections::HashMap;
use storage::{Actor, Storage};

/// Synthetic district centres (not the real ones) for the demo's outward codes.
pub const DISTRICTS: &[(&str, f64, f64)] = &[
    ("LS4", 53.8120, -1.5870),
    ("LS5", 53.8230, -1.6040),
    ("LS6", 53.8210, -1.5700),
    ("LS7", 53.8260, -1.5380),
    ("LS16", 53.8560, -1.6150),
    ("LS17", 53.8590, -1.5330),
];

/// The synthetic centroid of a demo postcode: its district centre plus an offset of up to
/// about 1.5 km fixed by the inward code.
pub fn centroid(outward: &str, inward: &str) -> Option<(f64, f64)> {
    let (_, lat, lon) = DISTRICTS.iter().find(|d| d.0 == outward)?;
    let b = inward.as_bytes();
    if b.len() != 3 {
        return None;
    }
    let n = f64::from(b[0].wrapping_sub(b'0'));
    let x = f64::from(b[1].wrapping_sub(b'A'));
    let y = f64::from(b[2].wrapping_sub(b'A'));
    Some((
        lat + (x - 12.5) * 0.0010 + (n - 5.0) * 0.0004,
        lon + (y - 12.5) * 0.0016,
    ))
}

/// Every demo postcode ("LS6 4AB") with its synthetic centroid.
pub fn postcodes() -> Vec<(String, f64, f64)> {
    let mut out = vec![];
    for (outward, _, _) in DISTRICTS {
        for n in 1..10u8 {
            for a in b'A'..=b'Z' {
                for z in b'A'..=b'Z' {
                    let inward = format!("{n}{}{}", a as char, z as char);
                    if let Some((lat, lon)) = centroid(outward, &inward) {
                        out.push((format!("{outward} {inward}"), lat, lon));
                    }
                }
            }
        }
    }
    out
}

const VENUES: &[&str] = &[
    "St Mark's Church Hall",
    "Millbrook Community Centre",
    "Riverside Library",
    "Castle Street Hub",
    "The Old School Rooms",
    "Hollins Park Pavilion",
    "Meanwood Valley Farm",
    "Headingley Methodist Hall",
    "Chapel Allerton Library",
    "Kirkstall Leisure Centre",
    "Bramley Baths",
    "The Green Room Café",
];
const STREETS: &[&str] = &[
    "Church Lane",
    "Mill Road",
    "Park Avenue",
    "Station Road",
    "High Street",
    "Victoria Road",
    "Queen Street",
    "North Lane",
];
const ORG_WORDS: &[&str] = &[
    "Riverside",
    "Millbrook",
    "Castle",
    "Northside",
    "Hollins",
    "Meanwood",
    "Kirkstall",
    "Valley",
];

/// (name, description) ideas per category.
fn ideas(c: Category) -> &'static [(&'static str, &'static str)] {
    use Category::*;
    match c {
        Volunteering => &[
            (
                "Volunteer Centre drop-in",
                "Find a volunteering role that suits you, from gardening to befriending.",
            ),
            (
                "Food bank volunteers",
                "Help sort and hand out food parcels; training and a friendly team.",
            ),
        ],
        Exercise => &[
            (
                "Chair-based exercise",
                "Gentle seated exercise to build strength and balance.",
            ),
            (
                "Strength and balance class",
                "Falls-prevention exercise led by a qualified instructor.",
            ),
        ],
        Walking => &[
            (
                "Walking for health",
                "Friendly led walks of about an hour on flat paths; go at your own pace.",
            ),
            (
                "Nordic walking group",
                "Walking with poles for a full-body workout; poles lent.",
            ),
        ],
        Gardening => &[
            (
                "Community garden sessions",
                "Grow fruit and vegetables together; no experience needed.",
            ),
            (
                "Green gym",
                "Conservation tasks outdoors that keep you active.",
            ),
        ],
        Cooking => &[
            (
                "Cook and eat together",
                "Learn simple, cheap, healthy meals and share lunch.",
            ),
            (
                "Healthy eating on a budget",
                "Practical cooking course with recipes to take home.",
            ),
        ],
        WeightManagement => &[
            (
                "Weight management group",
                "Weekly support to reach a healthier weight.",
            ),
            (
                "Healthy lifestyle course",
                "Twelve-week course on food, activity and motivation.",
            ),
        ],
        Arts => &[
            (
                "Arts on prescription",
                "Painting, drawing and crafts in a relaxed group.",
            ),
            (
                "Creative writing circle",
                "Write and share stories and poems with others.",
            ),
        ],
        Music => &[
            (
                "Community choir",
                "Sing together for fun; no auditions and no need to read music.",
            ),
            (
                "Singing for better breathing",
                "Singing exercises for people with lung conditions.",
            ),
        ],
        Sports => &[
            (
                "Walking football",
                "Football at walking pace for all abilities.",
            ),
            (
                "Table tennis club",
                "Social table tennis with bats and tables provided.",
            ),
        ],
        Befriending => &[
            ("Lunch club", "A hot meal and good company every week."),
            (
                "Telephone befriending",
                "A weekly friendly call from a trained volunteer.",
            ),
        ],
        PeerSupport => &[
            ("Men's shed", "A workshop space to make, mend and chat."),
            (
                "Peer support group",
                "Meet others with similar experiences in a safe space.",
            ),
        ],
        CarersSupport => &[
            (
                "Carers' café",
                "Time out, advice and a cuppa for unpaid carers.",
            ),
            (
                "Carers' support service",
                "Carer's assessments, breaks and emotional support.",
            ),
        ],
        BenefitsDebt => &[
            (
                "Benefits advice",
                "Free, confidential help to check and claim benefits.",
            ),
            (
                "Debt advice clinic",
                "One-to-one help with debts, bills and budgeting, at the clinic or by phone.",
            ),
        ],
        Housing => &[
            (
                "Housing options advice",
                "Help if you are homeless or about to lose your home, with tenancy problems, repairs and finding a home.",
            ),
            (
                "Warm homes service",
                "Help with heating, insulation and energy bills.",
            ),
        ],
        Employment => &[
            ("Job club", "Support with CVs, applications and interviews."),
            (
                "Work and wellbeing coaching",
                "One-to-one coaching to get back into work.",
            ),
        ],
        SpecialistAdvice => &[
            (
                "Citizens advice session",
                "Advice on legal, consumer and family matters.",
            ),
            (
                "Immigration advice",
                "Free advice from accredited advisers.",
            ),
        ],
        MentalWellbeing => &[
            (
                "Wellbeing café",
                "A calm space to talk and try wellbeing activities.",
            ),
            (
                "Talking therapies self-referral help",
                "Support to refer yourself to NHS talking therapies.",
            ),
        ],
        DomesticAbuse => &[
            (
                "Domestic abuse support",
                "Confidential support, safety planning and advocacy.",
            ),
            (
                "Freedom programme",
                "A group course for women affected by domestic abuse.",
            ),
        ],
        DigitalSkills => &[
            (
                "Digital drop-in",
                "Help with phones, tablets, email and online services.",
            ),
            (
                "Get online course",
                "Learn to use the internet safely at your own pace.",
            ),
        ],
        AdultLearning => &[
            (
                "Adult learning courses",
                "Free courses in English, maths and more.",
            ),
            (
                "Conversation English (ESOL)",
                "Practise spoken English in a friendly group.",
            ),
        ],
    }
}

fn hhmm(m: i64) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

type Built = (
    Parsed,
    HashMap<String, Listing>,
    Organization,
    Vec<Organization>,
);

/// `count` synthetic services cycling through every category.
fn build(count: usize) -> Built {
    let mut rng = Rng::new(3_141_592);
    let today = directory::today();
    let garden = Organization {
        id: derived_id(&["demo-org", "Millbrook Community Garden"]),
        name: "Millbrook Community Garden".into(),
        description: "A volunteer-run garden growing food and friendships.".into(),
        email: Some("hello@millbrook-garden.example".into()),
        ..Default::default()
    };
    let mut orgs: Vec<Organization> = vec![garden.clone()];
    for w in ORG_WORDS {
        for kind in [
            "Community Trust",
            "Together",
            "Wellbeing Network",
            "Neighbours",
        ] {
            let name = format!("{w} {kind}");
            orgs.push(Organization {
                id: derived_id(&["demo-org", &name]),
                description: format!("A local charity working across {w} and nearby."),
                name,
                ..Default::default()
            });
        }
    }
    let mut parsed = Parsed::default();
    let mut listings: HashMap<String, Listing> = HashMap::new();
    for n in 0..count {
        let ci = n % Category::ALL.len();
        let cat = &Category::ALL[ci];
        let k = (n / Category::ALL.len()) % 8;
        {
            let (base, desc) = ideas(*cat)[k % 2];
            let (district, _, _) = DISTRICTS[(ci + k) % DISTRICTS.len()];
            let area = match district {
                "LS4" => "Kirkstall",
                "LS5" => "Hawksworth",
                "LS6" => "Headingley",
                "LS7" => "Chapel Allerton",
                "LS16" => "Adel",
                _ => "Moortown",
            };
            let name = match n / Category::ALL.len() {
                0 | 1 => base.to_string(),
                r if r < 8 => format!("{base} ({area})"),
                r => format!("{base} ({area} {r})"),
            };
            let at_garden = *cat == Category::Gardening && k < 4;
            let org = if at_garden {
                garden.clone()
            } else {
                rng.pick(&orgs[1..]).clone()
            };
            let mut e = Entry::new(&name);
            e.service.id = derived_id(&["demo-service", &n.to_string()]);
            let sid = e.service.id.clone();
            e.service.description = Some(desc.into());
            e.service.organization_id = Some(org.id.clone());
            e.service.organization = Some(org);
            let mut cats = vec![*cat];
            if *cat == Category::Walking || *cat == Category::Sports {
                cats.push(Category::Exercise);
            }
            e.set_categories(&cats);
            let (min, max) = match rng.range(0, 10) {
                0..=4 => (Some(18.0), None),
                5 => (Some(50.0), None),
                6 => (Some(60.0), None),
                7 => (Some(16.0), Some(25.0)),
                _ => (None, None),
            };
            e.service.minimum_age = min;
            e.service.maximum_age = max;
            let inward = format!(
                "{}{}{}",
                rng.range(1, 10),
                (b'A' + rng.range(0, 26) as u8) as char,
                (b'A' + rng.range(0, 26) as u8) as char
            );
            let (lat, lon) = centroid(district, &inward).unwrap_or((53.82, -1.57));
            let loc_id = derived_id(&[&sid, "location"]);
            e.service.service_at_locations.push(ServiceAtLocation {
                id: derived_id(&[&sid, "service_at_location"]),
                location_id: Some(loc_id.clone()),
                location: Some(Location {
                    id: loc_id,
                    location_type: "physical".into(),
                    name: Some(rng.pick(VENUES).to_string()),
                    latitude: Some((lat * 1e5).round() / 1e5),
                    longitude: Some((lon * 1e5).round() / 1e5),
                    addresses: vec![Address {
                        id: derived_id(&[&sid, "address"]),
                        address_1: format!("{} {}", rng.range(1, 120), rng.pick(STREETS)),
                        city: "Leeds".into(),
                        postal_code: format!("{district} {inward}"),
                        country: "GB".into(),
                        address_type: "physical".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            });
            let day = *rng.pick(Weekday::ALL);
            let start = rng.range(18, 38) * 30;
            e.service.schedules.push(Schedule {
                id: derived_id(&[&sid, "schedule"]),
                freq: Some("WEEKLY".into()),
                interval: Some(1.0),
                byday: Some(day.code().into()),
                opens_at: Some(hhmm(start)),
                closes_at: Some(hhmm(start + rng.range(2, 5) * 30)),
                ..Default::default()
            });
            let free = rng.chance(0.7);
            e.service.cost_options.push(CostOption {
                id: derived_id(&[&sid, "cost"]),
                option: Some(if free {
                    "Free".into()
                } else {
                    "Per session".into()
                }),
                amount: Some(if free { 0.0 } else { rng.range(2, 7) as f64 }),
                amount_description: (!free).then(|| "per session".to_string()),
                ..Default::default()
            });
            e.service.phones.push(Phone {
                id: derived_id(&[&sid, "phone"]),
                number: format!("0113 496 {:04}", rng.range(0, 1000)),
                ..Default::default()
            });
            if rng.chance(0.15) {
                let lang = *rng.pick(&["Polish", "Urdu", "Punjabi", "Arabic"]);
                e.service.languages = vec![
                    Language {
                        id: derived_id(&[&sid, "lang-en"]),
                        name: Some("English".into()),
                        ..Default::default()
                    },
                    Language {
                        id: derived_id(&[&sid, "lang-2"]),
                        name: Some(lang.into()),
                        ..Default::default()
                    },
                ];
            }
            let mut access = vec![];
            for f in AccessFeature::ALL {
                if rng.chance(0.3) {
                    access.push(*f);
                }
            }
            let listing = Listing {
                public: !rng.chance(0.05),
                // The garden (the demo's partner with a Linkwork account) takes referrals.
                referral_mode: if rng.chance(0.6) || at_garden {
                    ReferralMode::Referral
                } else {
                    ReferralMode::SignpostOnly
                },
                capacity: match rng.range(0, 10) {
                    0 => ServiceCapacity::Full,
                    1 => ServiceCapacity::WaitingList,
                    _ => ServiceCapacity::Accepting,
                },
                response_days: 14,
                access_features: access,
                verified_on: Some(today - Duration::days(rng.range(0, 300))),
                retired_on: None,
            };
            listings.insert(sid, listing);
            parsed.services.push(e.service);
        }
    }
    (parsed, listings, garden, orgs)
}

/// Stores `count` synthetic services (for benchmarks).
pub async fn generate(store: &std::sync::Arc<dyn Storage>, count: usize) -> Result<()> {
    let (mut parsed, listings, _, _) = build(count);
    for s in &parsed.services {
        if let Some(o) = &s.organization {
            parsed.organizations.push(o.clone());
        }
    }
    let dir = Directory::open(store.clone(), None).await?;
    directory::import_csv(
        &dir,
        &parsed,
        &listings,
        None,
        "generated",
        &Actor::system("bench"),
    )
    .await?;
    Ok(())
}

/// A fixed demo service: name, description, categories, district, inward code, minimum age,
/// the day it meets and its hours.
type Fixed = (
    &'static str,
    &'static str,
    &'static [Category],
    &'static str,
    &'static str,
    Option<f64>,
    &'static str,
    (&'static str, &'static str),
);

/// Seeds the demo directory; returns how many services were created.
pub async fn seed(
    store: &std::sync::Arc<dyn Storage>,
    garden_partner: i64,
    services: usize,
) -> Result<usize> {
    let actor = Actor::system("demo");
    store.import_postcodes(&postcodes()).await?;
    let dir = Directory::open(store.clone(), None).await?;
    let today = directory::today();
    let (mut parsed, mut listings, garden, orgs) = build(services);
    let mut n = parsed.services.len();
    // Fixed services: free walks on Tuesdays for older people (the demo walkthrough relies on
    // them), and groups for some of the people the vocabulary names that the cycled ideas
    // above do not cover (gambling, veterans, LGBTQ+), so every such search finds something.
    const WALK: &str =
        "A friendly, gentle walk of about an hour with trained walk leaders. Tea afterwards.";
    const WALKING: &[Category] = &[Category::Walking, Category::Exercise];
    let fixed: [Fixed; 6] = [
        ("Tuesday Strollers: walks for over-60s", WALK, WALKING, "LS6", "2AB", Some(60.0), "TU", ("10:30", "11:30")),
        ("Meanwood Valley Tuesday Walk", WALK, WALKING, "LS7", "3CD", Some(50.0), "TU", ("10:30", "11:30")),
        ("Headingley Health Walk", WALK, WALKING, "LS6", "4EF", Some(18.0), "TU", ("10:30", "11:30")),
        ("Gambling support group", "A peer support group for people whose gambling is causing harm, and for their families. Free and confidential.", &[Category::PeerSupport], "LS7", "5GH", Some(18.0), "WE", ("18:30", "20:00")),
        ("Veterans' breakfast club", "A Saturday breakfast for armed forces veterans and their families: a brew, a bacon roll and people who understand.", &[Category::PeerSupport], "LS4", "6JK", None, "SA", ("09:00", "11:00")),
        ("Rainbow social", "A relaxed Thursday evening social for LGBTQ+ adults: coffee, cake and conversation.", &[Category::PeerSupport], "LS6", "7LM", Some(18.0), "TH", ("18:00", "20:00")),
    ];
    for (i, (name, description, categories, district, inward, min, day, (opens, closes))) in
        fixed.iter().enumerate()
    {
        let mut e = Entry::new(name);
        // (The walks keep the ids they have always had.)
        e.service.id = derived_id(&["demo-walk", &i.to_string()]);
        let sid = e.service.id.clone();
        let org = orgs[1 + i].clone();
        e.service.description = Some((*description).into());
        e.service.organization_id = Some(org.id.clone());
        e.service.organization = Some(org);
        e.set_categories(categories);
        e.service.minimum_age = *min;
        let (lat, lon) = centroid(district, inward).unwrap_or((53.82, -1.57));
        let loc_id = derived_id(&[&sid, "location"]);
        e.service.service_at_locations.push(ServiceAtLocation {
            id: derived_id(&[&sid, "service_at_location"]),
            location_id: Some(loc_id.clone()),
            location: Some(Location {
                id: loc_id,
                location_type: "physical".into(),
                name: Some(VENUES[i % VENUES.len()].into()),
                latitude: Some(lat),
                longitude: Some(lon),
                addresses: vec![Address {
                    id: derived_id(&[&sid, "address"]),
                    address_1: "Meeting point by the main gate".into(),
                    city: "Leeds".into(),
                    postal_code: format!("{district} {inward}"),
                    country: "GB".into(),
                    address_type: "physical".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        });
        e.service.schedules.push(Schedule {
            id: derived_id(&[&sid, "schedule"]),
            freq: Some("WEEKLY".into()),
            interval: Some(1.0),
            byday: Some((*day).into()),
            opens_at: Some((*opens).into()),
            closes_at: Some((*closes).into()),
            ..Default::default()
        });
        e.service.cost_options.push(CostOption {
            id: derived_id(&[&sid, "cost"]),
            option: Some("Free".into()),
            amount: Some(0.0),
            ..Default::default()
        });
        listings.insert(
            sid,
            Listing {
                referral_mode: ReferralMode::Referral,
                access_features: vec![AccessFeature::StepFree],
                verified_on: Some(today - Duration::days(20)),
                ..Listing::default()
            },
        );
        parsed.services.push(e.service);
        n += 1;
    }
    for s in &parsed.services {
        if let Some(o) = &s.organization {
            parsed.organizations.push(o.clone());
        }
    }
    directory::import_csv(&dir, &parsed, &listings, None, "demo directory", &actor).await?;
    store
        .link_partner(&garden.id, Some(garden_partner), &actor)
        .await?;
    Ok(n)
}
