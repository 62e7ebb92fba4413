//! The demo: a realistic synthetic PCN (three practices, four link workers, a
//! supervisor, a manager, a referrer) with a few hundred people whose episodes are spread
//! over the last 18 months and reach every state. Every name, number and address is made
//! up: NHS numbers come from the 999 test range, phone numbers from the ranges Ofcom keeps
//! for drama, email addresses from reserved example domains.

mod accounts;
mod episodes;
mod partner_feed;
mod people;

pub use accounts::{API_CLIENTS, LOGINS};
use episodes::journey;
use people::{person, referral};
pub(crate) use people::{FAMILY, GIVEN_F, GIVEN_M};

use anyhow::Result;
use chrono::{Duration, Utc};
use domain::{ClientKind, Code, EpisodeState, Role};
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
    let made = seed_shaped(store, Shape::demo(people), progress).await?;
    // The demo (not the benchmarks' generated data) has a self-referral waiting in triage.
    let pcn = store.list_pcns().await?[0].id;
    let practices = store.list_practices(pcn).await?;
    let millbrook = practices
        .iter()
        .find(|p| p.name == "Millbrook Surgery")
        .map_or(practices[0].id, |p| p.id);
    self_referral(store, pcn, millbrook, Utc::now()).await?;
    book_tomorrow(store, pcn).await?;
    Ok(made)
}

/// Books a few people who take texts for tomorrow, so the Texts page shows the reminders
/// Linkwork queues for them (marked "not sent" until GOV.UK Notify is set up).
async fn book_tomorrow(store: &Arc<dyn Storage>, pcn: i64) -> Result<()> {
    let actor = Actor::system("demo");
    let tomorrow = domain::uk_time::today() + Duration::days(1);
    let mut times = [(10, 0), (11, 30), (14, 0)].into_iter();
    for u in store.list_users(Some(pcn)).await? {
        if u.role != Role::LinkWorker {
            continue;
        }
        for row in store
            .caseload(pcn, u.id, &storage::CaseloadFilter::default())
            .await?
        {
            let Some(p) = store.get_person(pcn, row.person_id).await? else {
                continue;
            };
            if p.details.texts_ok != Some(true) || p.details.phone.is_empty() {
                continue;
            }
            let Some((h, m)) = times.next() else {
                return Ok(());
            };
            let at = domain::uk_time::at(
                tomorrow,
                chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default(),
            );
            store
                .set_next_contact(pcn, row.episode_id, row.episode_version, Some(at), &actor)
                .await?;
        }
    }
    Ok(())
}

/// Fills an empty database with a synthetic PCN of the given shape.
pub async fn seed_shaped(store: &Arc<dyn Storage>, shape: Shape, progress: bool) -> Result<u32> {
    let people = shape.people;
    let actor = Actor::system("demo");
    let pcn = store.create_pcn("Riverside Health PCN", "U99991").await?.id;
    let mut practices = Vec::new();
    for (name, ods, postcode) in [
        ("Riverside Medical Practice", "Y99901", "LS6 2AB"),
        ("Millbrook Surgery", "Y99902", "LS7 3QD"),
        ("Castle Street Health Centre", "Y99903", "LS4 2PH"),
    ] {
        let id = store.create_practice(pcn, name, ods).await?.id;
        store
            .set_practice_postcode(pcn, id, Some(postcode), &actor)
            .await?;
        practices.push(id);
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
    {
        let dir = directory::Directory::open(store.clone(), None).await?;
        partner_feed::import(&dir, &actor).await?;
    }
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

/// A person who referred themselves through the public form two days ago, waiting in
/// triage with the reference they were given.
async fn self_referral(
    store: &Arc<dyn Storage>,
    pcn: i64,
    practice: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let person = domain::PersonDraft {
        given_name: "Irene".into(),
        family_name: "Castleford".into(),
        date_of_birth: "1949-02-11".into(),
        practice_id: Some(practice),
        phone: "07700 900461".into(),
        preferred_contact: "phone".into(),
        voicemail_ok: "yes".into(),
        texts_ok: "no".into(),
        ..Default::default()
    }
    .validate(now.date_naive())
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let referral = domain::ReferralDetails {
        source: domain::ReferralSource::SelfReferral,
        referrer_name: String::new(),
        referrer_role: String::new(),
        referrer_organisation: String::new(),
        referrer_contact: String::new(),
        needs: vec![domain::Need::Loneliness, domain::Need::Bereavement],
        reason:
            "Since my husband died last year I hardly go out. My daughter said to fill this in. \
                 I used to sing in a choir and I miss having people to talk to."
                .into(),
        urgency: domain::Urgency::Routine,
        reference: Some("SR-7KQ2-M9XD".into()),
        source_identifier: None,
    };
    store
        .create_referral(
            pcn,
            PersonRef::New(Box::new(person)),
            &referral,
            None,
            now - Duration::days(2),
            &Actor::system("self-referral SR-7KQ2-M9XD"),
        )
        .await?;
    Ok(())
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

/// A person whose plan the demo opens from the outside: one of the first link worker's
/// people with a plan and a connection, and a phone or email a code can go to.
pub struct DemoPlan {
    pub code: String,
    pub person_id: i64,
    pub name: String,
    pub date_of_birth: chrono::NaiveDate,
    pub link_worker: String,
}

/// Gives a demo person a fresh plan link (the earlier one stops) and says how to open it.
pub async fn plan_link(store: &Arc<dyn Storage>) -> Result<Option<DemoPlan>> {
    let Some(worker) = store.user_by_email(LOGINS[0].1).await? else {
        return Ok(None);
    };
    let Some(pcn) = worker.pcn_id else {
        return Ok(None);
    };
    // The best shown: a plan and a connection, else a plan, else anyone reachable.
    let mut best: Option<(u8, storage::Person)> = None;
    for row in store
        .caseload(pcn, worker.id, &storage::CaseloadFilter::default())
        .await?
    {
        let Some(p) = store.get_person(pcn, row.person_id).await? else {
            continue;
        };
        let d = &p.details;
        let reachable = (!d.phone.is_empty() && d.texts_ok != Some(false)) || !d.email.is_empty();
        if !reachable {
            continue;
        }
        let records = store.records_for_person(pcn, p.id).await?;
        let has_plan = records
            .iter()
            .any(|r| r.episode_id == row.episode_id && r.kind == domain::RecordKind::Plan);
        let connected = store
            .connections_for_person(pcn, p.id)
            .await?
            .iter()
            .any(|c| c.episode_id == row.episode_id);
        let score = u8::from(has_plan) * 2 + u8::from(connected);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, p));
        }
        if score == 3 {
            break;
        }
    }
    let Some((_, p)) = best else {
        return Ok(None);
    };
    let code = web::pages::own_plan::new_plan_code().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    store
        .create_plan_link(
            pcn,
            p.id,
            &web::pages::own_plan::code_hash(&code),
            "print",
            Utc::now() + Duration::days(90),
            &Actor::system("demo"),
        )
        .await?;
    Ok(Some(DemoPlan {
        code,
        person_id: p.id,
        name: p.details.full_name(),
        date_of_birth: p.details.date_of_birth,
        link_worker: worker.email.clone(),
    }))
}
