//! The demo: a realistic synthetic PCN (three practices, four link workers, a
//! supervisor, a manager, a referrer) with a few hundred people whose episodes are spread
//! over the last 18 months and reach every state. Every name, number and address is made
//! up: NHS numbers come from the 999 test range, phone numbers from the ranges Ofcom keeps
//! for drama, email addresses from reserved example domains.

use anyhow::Result;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::{
    AccessNeed, CarerStatus, ClientKind, Code, ContactDetails, ContactMethod, ContactType,
    DischargeReason, EpisodeState, Ethnicity, Need, NhsNumber, PersonDetails, Postcode, Present,
    ReferralDetails, ReferralSource, Role, Sex, Urgency,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Arc;
use storage::{Actor, NewApiClient, NewUser, PersonRef, Storage};

/// A small deterministic generator (SplitMix64), so every demo database is the same.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `lo..hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo).max(1) as u64) as i64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() % 10_000) as f64 / 10_000.0 < p
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64) as usize]
    }
}

pub(crate) const GIVEN_F: &[&str] = &[
    "Margaret", "Susan", "Linda", "Patricia", "Aisha", "Grace", "Olivia", "Zofia", "Fatima",
    "Emily", "Joan", "Sarah", "Priya", "Chloe", "Beverley", "Hannah", "Amira", "Lucy", "Irene",
    "Niamh",
];
pub(crate) const GIVEN_M: &[&str] = &[
    "John", "David", "Michael", "Mohammed", "Peter", "Daniel", "Kwame", "Tomasz", "Arjun",
    "George", "Stephen", "Liam", "Raymond", "Imran", "Callum", "Trevor", "Samuel", "Dennis",
    "Oliver", "Hassan",
];
pub(crate) const FAMILY: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Khan", "Wood", "Jackson", "Clarke", "Hussain", "Kowalski", "Begum", "Okafor", "Murphy",
    "Singh", "Ahmed", "Lewis", "Harris", "Martin", "Cooper", "Ward", "Morris", "Hughes", "Edwards",
    "Turner", "Bennett", "Shaw",
];
const STREETS: &[&str] = &[
    "Mill Lane",
    "Station Road",
    "Church Street",
    "Park Avenue",
    "Victoria Terrace",
    "Elm Grove",
    "Canal Side",
    "Orchard Close",
    "High Street",
    "Beech Road",
];
const OUTWARD: &[&str] = &["LS6", "LS7", "LS4", "LS5", "LS16", "LS17"];
const LANGUAGES: &[(&str, bool)] = &[
    ("English", false),
    ("Polish", true),
    ("Urdu", true),
    ("Punjabi", false),
    ("Bengali", true),
    ("Arabic", true),
    ("British Sign Language", true),
];

/// The demo accounts: (role, email, password, name).
pub const LOGINS: &[(Role, &str, &str, &str)] = &[
    (
        Role::LinkWorker,
        "sam.okafor@linkwork.example",
        "demo-linkworker-1",
        "Sam Okafor",
    ),
    (
        Role::LinkWorker,
        "jess.hughes@linkwork.example",
        "demo-linkworker-2",
        "Jess Hughes",
    ),
    (
        Role::LinkWorker,
        "aisha.rahman@linkwork.example",
        "demo-linkworker-3",
        "Aisha Rahman",
    ),
    (
        Role::LinkWorker,
        "callum.price@linkwork.example",
        "demo-linkworker-4",
        "Callum Price",
    ),
    (
        Role::Manager,
        "morgan.reid@linkwork.example",
        "demo-manager-pass",
        "Morgan Reid",
    ),
    (
        Role::Supervisor,
        "dr.natarajan@linkwork.example",
        "demo-supervisor-pass",
        "Dr Priya Natarajan",
    ),
    (
        Role::Referrer,
        "dr.whitfield@linkwork.example",
        "demo-referrer-pass",
        "Dr Tom Whitfield",
    ),
    (
        Role::Admin,
        "admin@linkwork.example",
        "demo-admin-pass",
        "Alex Admin",
    ),
    (
        Role::Partner,
        "hello@millbrook-garden.example",
        "demo-partner-pass",
        "Millbrook Community Garden",
    ),
    (
        Role::Operator,
        "operator@linkwork.example",
        "demo-operator-pass",
        "Oli Operator",
    ),
];

/// Demo API clients for trying the FHIR API with curl: (kind, client id, secret, name,
/// scopes). Synthetic credentials for the demo database only.
pub const API_CLIENTS: &[(ClientKind, &str, &str, &str, &str)] = &[
    (
        ClientKind::GpSystem,
        "demo-gp-system",
        "demo-gp-system-secret",
        "Demo GP clinical system at Riverside Medical Practice",
        "referral.write record.read task.read coding.read coding.ack directory.read",
    ),
    (
        ClientKind::Partner,
        "demo-partner-system",
        "demo-partner-system-secret",
        "Demo case system at Millbrook Community Garden",
        "task.read task.update directory.read",
    ),
];

fn person(rng: &mut Rng, i: u32, practices: &[i64], today: NaiveDate) -> PersonDetails {
    let female = rng.chance(0.58);
    let given = if female {
        rng.pick(GIVEN_F)
    } else {
        rng.pick(GIVEN_M)
    };
    let family = rng.pick(FAMILY);
    let age = if rng.chance(0.3) {
        rng.range(65, 92)
    } else {
        rng.range(18, 65)
    };
    let dob = today - Duration::days(age * 365 + rng.range(0, 365));
    let nhs = if rng.chance(0.85) {
        NhsNumber::from_first_nine(999_000_000 + i * 7 + 3)
            .or_else(|| NhsNumber::from_first_nine(999_000_000 + i * 7 + 4))
    } else {
        None
    };
    let postcode = format!(
        "{} {}{}{}",
        rng.pick(OUTWARD),
        rng.range(1, 10),
        (b'A' + rng.range(0, 26) as u8) as char,
        (b'A' + rng.range(0, 26) as u8) as char
    );
    let (language, interpreter) = if rng.chance(0.82) {
        LANGUAGES[0]
    } else {
        *rng.pick(&LANGUAGES[1..])
    };
    let mut access_needs = Vec::new();
    if rng.chance(0.08) {
        access_needs.push(AccessNeed::LargePrint);
    }
    if rng.chance(0.04) {
        access_needs.push(AccessNeed::EasyRead);
    }
    if rng.chance(0.04) {
        access_needs.push(AccessNeed::StepFreeAccess);
    }
    if language == "British Sign Language" {
        access_needs.push(AccessNeed::BslInterpreter);
    }
    let carer_status = if rng.chance(0.15) {
        CarerStatus::Carer
    } else if rng.chance(0.1) {
        CarerStatus::HasCarer
    } else {
        CarerStatus::NotACarer
    };
    let ethnicity = if rng.chance(0.7) {
        Ethnicity::WhiteBritish
    } else {
        *rng.pick(Ethnicity::ALL)
    };
    PersonDetails {
        given_name: given.to_string(),
        family_name: family.to_string(),
        date_of_birth: dob,
        nhs_number: nhs,
        sex: if female { Sex::Female } else { Sex::Male },
        gender_identity: String::new(),
        ethnicity: Some(ethnicity),
        language: language.to_string(),
        interpreter_needed: interpreter,
        access_needs,
        access_notes: String::new(),
        carer_status,
        carer_details: if carer_status == CarerStatus::HasCarer {
            "Daughter, telephone 07700 900999".into()
        } else {
            String::new()
        },
        practice_id: Some(*rng.pick(practices)),
        address: format!("{} {}", rng.range(1, 120), rng.pick(STREETS)),
        postcode: Postcode::parse(&postcode).ok(),
        phone: format!("07700 900{:03}", rng.range(0, 1000)),
        email: if rng.chance(0.4) {
            format!(
                "{}.{}{}@example.com",
                given.to_lowercase(),
                family.to_lowercase(),
                i
            )
        } else {
            String::new()
        },
        preferred_contact: Some(if rng.chance(0.7) {
            ContactMethod::Phone
        } else {
            *rng.pick(ContactMethod::ALL)
        }),
    }
}

fn referral(rng: &mut Rng, referrer: &str) -> ReferralDetails {
    let source = if rng.chance(0.45) {
        ReferralSource::Gp
    } else {
        *rng.pick(ReferralSource::ALL)
    };
    let mut needs = vec![*rng.pick(Need::ALL)];
    for _ in 0..rng.range(0, 3) {
        let n = *rng.pick(Need::ALL);
        if !needs.contains(&n) {
            needs.push(n);
        }
    }
    let self_ref = source == ReferralSource::SelfReferral;
    ReferralDetails {
        source,
        referrer_name: if self_ref {
            String::new()
        } else if source == ReferralSource::Gp {
            referrer.into()
        } else {
            format!("{} referrer", source.label())
        },
        referrer_role: if self_ref {
            String::new()
        } else {
            source.label().into()
        },
        referrer_organisation: if self_ref {
            String::new()
        } else {
            "Riverside".into()
        },
        referrer_contact: if self_ref {
            String::new()
        } else {
            format!("0113 496 0{:03}", rng.range(0, 1000))
        },
        reason: format!(
            "Would benefit from support with {}.",
            needs
                .iter()
                .map(|n| n.label().to_lowercase())
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        needs,
        urgency: if rng.chance(0.1) {
            Urgency::Urgent
        } else if rng.chance(0.2) {
            Urgency::Soon
        } else {
            Urgency::Routine
        },
    }
}

/// How big a synthetic PCN to make.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// People referred.
    pub people: u32,
    /// Referrals are spread over this many days before today.
    pub span_days: i64,
    /// Services in the community directory.
    pub services: usize,
}

impl Shape {
    /// The demo: `people` referred over the last 18 months, 160 services.
    pub fn demo(people: u32) -> Self {
        Self {
            people,
            span_days: 548,
            services: 160,
        }
    }
}

/// Fills an empty database with the demo PCN. Returns the number of people created.
pub async fn seed(store: &Arc<dyn Storage>, people: u32, progress: bool) -> Result<u32> {
    seed_shaped(store, Shape::demo(people), progress).await
}

/// Fills an empty database with a synthetic PCN of the given shape.
pub async fn seed_shaped(store: &Arc<dyn Storage>, shape: Shape, progress: bool) -> Result<u32> {
    let people = shape.people;
    let actor = Actor::system("demo");
    let pcn = store.create_pcn("Riverside Health PCN", "U99991").await?.id;
    let mut practices = Vec::new();
    for (name, ods) in [
        ("Riverside Medical Practice", "Y99901"),
        ("Millbrook Surgery", "Y99902"),
        ("Castle Street Health Centre", "Y99903"),
    ] {
        practices.push(store.create_practice(pcn, name, ods).await?.id);
    }
    let garden = store
        .create_partner_org("Millbrook Community Garden")
        .await?
        .id;
    let mut workers = Vec::new();
    let mut supervisor = 0;
    let mut manager = 0;
    let mut partner_actor = Actor::system("demo");
    for (role, email, password, name) in LOGINS {
        let hash = web::auth::hash_password(password).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let partner = *role == Role::Partner;
        let u = store
            .create_user(
                NewUser {
                    email: (*email).into(),
                    name: (*name).into(),
                    role: *role,
                    // Partners and the operator belong to no PCN (docs/security.md).
                    pcn_id: (!matches!(role, Role::Partner | Role::Operator)).then_some(pcn),
                    partner_org_id: partner.then_some(garden),
                    password_hash: hash,
                },
                &actor,
            )
            .await?;
        match role {
            Role::LinkWorker => workers.push(u.id),
            Role::Supervisor => supervisor = u.id,
            Role::Manager => manager = u.id,
            Role::Partner => {
                partner_actor = Actor {
                    user_id: Some(u.id),
                    label: u.email.clone(),
                    ip: None,
                }
            }
            _ => {}
        }
    }
    // The demo PCN refers to the garden through Linkwork: both sides hold the relationship.
    store
        .set_partner_link(pcn, garden, storage::LinkSide::Pcn, true, &actor)
        .await?;
    store
        .set_partner_link(
            pcn,
            garden,
            storage::LinkSide::Partner,
            true,
            &partner_actor,
        )
        .await?;
    for (kind, id, secret, name, scopes) in API_CLIENTS {
        store
            .create_api_client(
                &NewApiClient {
                    client_id: (*id).into(),
                    name: (*name).into(),
                    kind: *kind,
                    pcn_id: (*kind != ClientKind::Partner).then_some(pcn),
                    practice_id: (*kind == ClientKind::GpSystem).then_some(practices[0]),
                    partner_org_id: (*kind == ClientKind::Partner).then_some(garden),
                    scopes: domain::interop::parse_scopes(scopes).map_err(anyhow::Error::msg)?,
                    secret_hash: web::auth::sha256_hex(secret),
                },
                &actor,
            )
            .await?;
    }
    crate::demo_directory::seed(store, garden, shape.services).await?;
    let services = demo_services(store).await?;
    let ctx = crate::demo_journey::Ctx {
        store,
        pcn,
        actor: &actor,
        partner_actor: &partner_actor,
        services: &services,
        supervisor,
        now: Utc::now(),
    };
    let bar = if progress {
        ProgressBar::new(u64::from(people))
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("  seeding people {bar:40} {pos}/{len} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut rng = Rng::new(20_261_121);
    let now = Utc::now();
    let today = now.date_naive();
    for i in 0..people {
        let details = person(&mut rng, i, &practices, today);
        // The first few people are steered to stop in each state in turn, so every state
        // is on show however small the demo.
        let target = EpisodeState::ALL.get(i as usize).copied();
        let days_ago = match target {
            Some(EpisodeState::Discharged) => 400,
            Some(_) => 60,
            None => rng.range(0, shape.span_days.max(1)),
        };
        let referred_at = now - Duration::days(days_ago) - Duration::minutes(rng.range(0, 600));
        let r = referral(&mut rng, "Dr Tom Whitfield");
        let (_, ep) = store
            .create_referral(
                pcn,
                PersonRef::New(Box::new(details)),
                &r,
                None,
                referred_at,
                &actor,
            )
            .await?;
        let person_id = ep.person_id;
        journey(&ctx, &mut rng, ep, &r, &workers, target).await?;
        // A few people come back for a second episode.
        if days_ago > 300 && rng.chance(0.06) {
            let again = now - Duration::days(rng.range(0, 120));
            let r2 = referral(&mut rng, "Dr Tom Whitfield");
            let (_, ep2) = store
                .create_referral(
                    pcn,
                    PersonRef::Existing(person_id),
                    &r2,
                    None,
                    again,
                    &actor,
                )
                .await?;
            journey(&ctx, &mut rng, ep2, &r2, &workers, None).await?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    crate::demo_journey::record_codes(&ctx, &mut rng).await?;
    crate::demo_workforce::seed(
        &crate::demo_workforce::Ctx {
            store,
            pcn,
            actor: &actor,
            practices: &practices,
            workers: &workers,
            supervisor,
            manager,
            today,
        },
        &mut rng,
    )
    .await?;
    Ok(people)
}

/// The demo directory's services, for connections.
async fn demo_services(store: &Arc<dyn Storage>) -> Result<Vec<crate::demo_journey::DemoService>> {
    let dir = directory::Directory::open(store.clone(), None).await?;
    Ok(dir
        .all_entries()
        .await?
        .into_iter()
        .filter(|e| e.listing.retired_on.is_none() && e.service.status == "active")
        .map(|e| crate::demo_journey::DemoService {
            organization: e
                .service
                .organization
                .as_ref()
                .map_or(String::new(), |o| o.name.clone()),
            takes_referrals: e.listing.referral_mode == domain::ReferralMode::Referral,
            response_days: e.listing.response_days,
            partner_org_id: e.partner_org_id,
            id: e.service.id,
            name: e.service.name,
        })
        .collect())
}

/// Walks an episode forward through realistic steps until the next step would be in the
/// future, or until it reaches `target`, recording what a link worker would on the way.
async fn journey(
    c: &crate::demo_journey::Ctx<'_>,
    rng: &mut Rng,
    ep: storage::Episode,
    r: &ReferralDetails,
    workers: &[i64],
    target: Option<EpisodeState>,
) -> Result<()> {
    use crate::demo_journey as j;
    let (store, pcn, actor, now) = (c.store, c.pcn, c.actor, c.now);
    let mut t = ep.referred_at;
    let recent = now - t < Duration::days(12);
    if recent && target.is_none() && rng.chance(0.6) {
        return Ok(()); // still in the unassigned queue
    }
    t += Duration::hours(rng.range(2, 72));
    if t > now {
        return Ok(());
    }
    let name = store
        .get_person(pcn, ep.person_id)
        .await?
        .map(|p| p.details.full_name())
        .unwrap_or_default();
    let mut ep = store
        .assign_episode(pcn, ep.id, ep.version, *rng.pick(workers), t, actor)
        .await?;
    let fate = match target {
        Some(EpisodeState::Declined) => 0,
        Some(EpisodeState::UnableToContact) => 15,
        Some(_) => 50,
        None => rng.range(0, 100),
    };
    if target == Some(EpisodeState::Referred) {
        return Ok(());
    }
    let traj = j::Trajectory::new(rng);
    let mut words = String::new();
    let mut steps: Vec<(EpisodeState, i64, i64)> = vec![(EpisodeState::Contacting, 1, 10)];
    if fate < 12 {
        steps.push((EpisodeState::Declined, 0, 4));
    } else if fate < 20 {
        steps.push((EpisodeState::UnableToContact, 14, 28));
    } else {
        steps.extend([
            (EpisodeState::Accepted, 0, 5),
            (EpisodeState::Assessed, 3, 14),
            (EpisodeState::PlanAgreed, 3, 14),
            (EpisodeState::Active, 1, 7),
            (EpisodeState::Discharged, 60, 200),
        ]);
    }
    for (to, lo, hi) in steps {
        let next = t + Duration::days(rng.range(lo, hi + 1)) + Duration::hours(rng.range(1, 8));
        if next > now {
            // Halfway through a long active spell: a review measure.
            if to == EpisodeState::Discharged && (now - t).num_days() > 45 {
                let mid = t + (now - t) / 2;
                j::measures(
                    c,
                    &ep,
                    domain::MeasurePoint::Review,
                    traj.baseline + traj.gain / 2.0,
                    mid,
                    rng,
                )
                .await?;
            }
            break;
        }
        // Contacts lead each step: the first one moves the episode to contacting.
        if to == EpisodeState::Contacting {
            let dna = rng.chance(0.3);
            ep = contact(store, pcn, &ep, next, dna, rng, actor).await?;
            if dna {
                let again = next + Duration::days(rng.range(1, 4));
                if again < now {
                    ep = contact(store, pcn, &ep, again, false, rng, actor).await?;
                }
            }
            t = next;
            if target == Some(to) {
                break;
            }
            continue;
        }
        let visits = match to {
            EpisodeState::Discharged => rng.range(4, 11),
            EpisodeState::UnableToContact => 3,
            _ => 1,
        };
        for k in 1..=visits {
            let at = t + (next - t) * (k as i32) / (visits as i32 + 1);
            let dna = to == EpisodeState::UnableToContact || rng.chance(0.08);
            ep = contact(store, pcn, &ep, at, dna, rng, actor).await?;
        }
        ep = match to {
            EpisodeState::Assessed => {
                let (e2, w) = j::assess(c, &ep, &r.needs, next, rng).await?;
                words = w;
                j::measures(
                    c,
                    &e2,
                    domain::MeasurePoint::Baseline,
                    traj.baseline,
                    next,
                    rng,
                )
                .await?;
                if rng.chance(0.5) {
                    j::health_use(
                        c,
                        &e2,
                        domain::HealthPeriod::Before,
                        rng.range(4, 16) as u16,
                        rng.range(0, 4) as u16,
                        next,
                    )
                    .await?;
                }
                e2
            }
            EpisodeState::PlanAgreed => j::plan(c, &ep, &words, next).await?,
            EpisodeState::Active => j::connect(c, &ep, &name, next, rng).await?,
            EpisodeState::Discharged => {
                let mid = t + (next - t) / 2;
                j::measures(
                    c,
                    &ep,
                    domain::MeasurePoint::Review,
                    traj.baseline + traj.gain / 2.0,
                    mid,
                    rng,
                )
                .await?;
                j::measures(
                    c,
                    &ep,
                    domain::MeasurePoint::Discharge,
                    traj.baseline + traj.gain,
                    next,
                    rng,
                )
                .await?;
                let reason = if rng.chance(0.6) {
                    DischargeReason::GoalsMet
                } else {
                    *rng.pick(DischargeReason::ALL)
                };
                let e2 = j::discharge(c, &ep, reason, next).await?;
                let after = next + Duration::days(365);
                if after < now && rng.chance(0.6) {
                    j::health_use(
                        c,
                        &e2,
                        domain::HealthPeriod::After,
                        rng.range(2, 12) as u16,
                        rng.range(0, 2) as u16,
                        after,
                    )
                    .await?;
                }
                e2
            }
            _ => {
                store
                    .transition_episode(pcn, ep.id, ep.version, to, None, next, actor)
                    .await?
            }
        };
        t = next;
        if target == Some(to) {
            break;
        }
    }
    if ep.state == EpisodeState::Active {
        let roll = rng.range(0, 100);
        if roll < 3 {
            j::safeguarding(c, &ep, false, t + Duration::days(2)).await?;
        } else if roll < 5 {
            j::safeguarding(c, &ep, true, t + Duration::days(2)).await?;
        } else if roll < 8 {
            j::referral_back(c, &ep, t + Duration::days(3)).await?;
        }
    }
    if !ep.state.is_closed() && rng.chance(0.75) {
        let next = now + Duration::days(rng.range(1, 22));
        store
            .set_next_contact(pcn, ep.id, ep.version, Some(next), actor)
            .await?;
    }
    Ok(())
}

/// Records one synthetic contact on an episode.
async fn contact(
    store: &Arc<dyn Storage>,
    pcn: i64,
    ep: &storage::Episode,
    at: DateTime<Utc>,
    dna: bool,
    rng: &mut Rng,
    actor: &Actor,
) -> Result<storage::Episode> {
    let kind = *rng.pick(&[
        ContactType::Telephone,
        ContactType::Telephone,
        ContactType::FaceToFace,
        ContactType::HomeVisit,
        ContactType::CommunityVenue,
        ContactType::Video,
        ContactType::Group,
    ]);
    let mut present = vec![Present::Person];
    if rng.chance(0.15) {
        present.push(Present::Carer);
    }
    let notes = if dna {
        String::new()
    } else {
        rng.pick(&[
            "Talked about what matters to them and what they would like to try.",
            "Went through local groups together; keen on the walking group.",
            "Reviewed how the first sessions went. Feeling more confident.",
            "Helped with a benefits check and a referral for advice.",
            "Checked in by phone; settling well with the group.",
        ])
        .to_string()
    };
    let details = ContactDetails {
        contact_type: kind,
        at,
        duration_minutes: (!dna).then(|| rng.range(10, 61) as u16),
        did_not_attend: dna,
        present,
        notes,
    };
    let (_, ep) = store
        .record_contact(pcn, ep.id, ep.version, &details, actor)
        .await?;
    Ok(ep)
}
