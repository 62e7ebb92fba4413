//! The demo's journey records: assessments, plans, outcome measures that change the way
//! they do in real schemes (most people a little better, some no better, a few worse),
//! connections to the demo directory in every closed-loop status, safeguarding concerns,
//! referral back, health service use and GP-record coding. All synthetic.

use crate::demo::Rng;
use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use domain::journey::{ActionOwner, NeedScore, PlanAction};
use domain::{
    Assessment, CarePlan, Category, Code, ConnectionKind, ConnectionReason, ConnectionStatus,
    DischargeReason, DischargeSummary, HealthPeriod, HealthUse, Instrument, Measure, MeasurePoint,
    Need, RecordKind, ReferralBack, Safeguarding, Side,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use storage::{
    Actor, ConnectionScope, Episode, NewConnection, NewRecord, SharedDetails, StatusChange, Storage,
};

/// A directory service the demo connects people to.
#[derive(Clone)]
pub struct DemoService {
    pub id: String,
    pub name: String,
    pub organization: String,
    pub partner_org_id: Option<i64>,
    pub takes_referrals: bool,
    pub response_days: u16,
}

/// What the demo needs to add journey records.
pub struct Ctx<'a> {
    pub store: &'a Arc<dyn Storage>,
    pub pcn: i64,
    pub actor: &'a Actor,
    pub partner_actor: &'a Actor,
    pub services: &'a [DemoService],
    pub supervisor: i64,
    pub now: DateTime<Utc>,
}

/// A person's wellbeing "trajectory": how much better they get over the episode.
#[derive(Clone, Copy)]
pub struct Trajectory {
    pub baseline: f64,
    pub gain: f64,
}

impl Trajectory {
    pub fn new(rng: &mut Rng) -> Self {
        // Baseline low to middling; most improve by a few points, some do not, a few worsen.
        let baseline = 1.8 + rng.range(0, 9) as f64 / 10.0;
        let roll = rng.range(0, 100);
        let gain = if roll < 12 {
            -0.3
        } else if roll < 25 {
            0.0
        } else {
            0.3 + rng.range(0, 9) as f64 / 10.0
        };
        Self { baseline, gain }
    }
}

fn items(instrument: Instrument, level: f64, rng: &mut Rng) -> BTreeMap<String, u8> {
    let second_concern = rng.chance(0.5);
    instrument
        .items()
        .iter()
        .filter(|(code, ..)| *code != "concern_2" || second_concern)
        .map(|(code, _, lo, hi)| {
            let span = f64::from(*hi - *lo);
            // `level` runs 1 (poor) to 5 (good) on the WEMWBS scale; map to each item.
            let mut frac = (level - 1.0) / 4.0 + (rng.range(-10, 11) as f64) / 100.0;
            if matches!(*code, "anxiety" | "concern_1" | "concern_2" | "wellbeing") {
                frac = 1.0 - frac; // higher is worse on these
            }
            let v = f64::from(*lo) + (span * frac.clamp(0.0, 1.0)).round();
            ((*code).to_string(), v as u8)
        })
        .collect()
}

async fn record(
    c: &Ctx<'_>,
    ep: &Episode,
    kind: RecordKind,
    body: String,
    summary: String,
    at: DateTime<Utc>,
) -> Result<Episode> {
    let (_, ep2) = c
        .store
        .add_record(
            c.pcn,
            ep.id,
            &NewRecord {
                kind,
                status: String::new(),
                body,
                assigned_to: None,
                due_at: None,
                summary,
                at,
            },
            c.actor,
        )
        .await?;
    Ok(ep2)
}

/// Baseline, review or discharge measures: SWEMWBS and ONS4 (and MYCaW for some).
pub async fn measures(
    c: &Ctx<'_>,
    ep: &Episode,
    point: MeasurePoint,
    level: f64,
    at: DateTime<Utc>,
    rng: &mut Rng,
) -> Result<()> {
    let mut list = vec![Instrument::Swemwbs, Instrument::Ons4];
    if ep.id % 7 == 0 {
        list.push(Instrument::Mycaw);
    }
    for i in list {
        let m = Measure {
            instrument: i,
            point,
            taken_on: at.date_naive(),
            items: items(i, level, rng),
        };
        let figures: Vec<String> = m
            .headlines()
            .iter()
            .map(|(l, v, _)| format!("{l} {v}"))
            .collect();
        record(
            c,
            ep,
            RecordKind::Measure,
            serde_json::to_string(&m)?,
            format!(
                "{} at {}: {}",
                i.code().to_uppercase(),
                point.code(),
                figures.join(", ")
            ),
            at,
        )
        .await?;
    }
    Ok(())
}

const WORDS: &[(&str, &[Category])] = &[
    (
        "Getting out of the house and meeting people again since my wife died.",
        &[Category::Walking, Category::Befriending],
    ),
    (
        "Sorting out my money worries so I can sleep at night.",
        &[Category::BenefitsDebt, Category::Cooking],
    ),
    (
        "Feeling useful. I used to love the garden.",
        &[Category::Gardening, Category::Volunteering],
    ),
    (
        "Having a bit of time for me, away from caring for Mum.",
        &[Category::CarersSupport, Category::Music],
    ),
    (
        "Getting fitter so I can play with the grandchildren.",
        &[Category::Exercise, Category::Walking],
    ),
    (
        "Learning to use the computer so I can video call my son.",
        &[Category::DigitalSkills, Category::AdultLearning],
    ),
];

/// The "what matters" conversation: moves an accepted episode to assessed.
pub async fn assess(
    c: &Ctx<'_>,
    ep: &Episode,
    needs: &[Need],
    at: DateTime<Utc>,
    rng: &mut Rng,
) -> Result<(Episode, String)> {
    let (words, interests) = *rng.pick(WORDS);
    let mut scored: Vec<NeedScore> = needs
        .iter()
        .map(|n| NeedScore {
            need: *n,
            score: rng.range(3, 6) as u8,
            note: String::new(),
        })
        .collect();
    if scored.is_empty() {
        scored.push(NeedScore {
            need: Need::Loneliness,
            score: 3,
            note: String::new(),
        });
    }
    if rng.chance(0.5) {
        let extra = *rng.pick(Need::ALL);
        if !scored.iter().any(|s| s.need == extra) {
            scored.push(NeedScore {
                need: extra,
                score: rng.range(1, 4) as u8,
                note: "Came up in conversation".into(),
            });
        }
    }
    let a = Assessment {
        assessed_on: at.date_naive(),
        what_matters: words.into(),
        needs: scored,
        strengths: (*rng.pick(&[
            "Good sense of humour; close to a neighbour.",
            "Practical, likes making things.",
            "Used to volunteer at the church; knows the area well.",
            "Determined; supportive daughter nearby.",
        ]))
        .into(),
        interests: interests.to_vec(),
        interest_words: (*rng.pick(&[
            "fixing bikes, quizzes",
            "birdwatching, local history",
            "dancing, a good natter",
            "watching the football",
            "cooking for friends, baking",
            "",
        ]))
        .into(),
        preferences: domain::Preferences {
            free_only: rng.chance(0.3),
            ..Default::default()
        },
    };
    let ep = record(
        c,
        ep,
        RecordKind::Assessment,
        serde_json::to_string(&a)?,
        "What matters and needs assessed".into(),
        at,
    )
    .await?;
    Ok((ep, words.into()))
}

/// Agrees a plan: moves an assessed episode to plan agreed.
pub async fn plan(c: &Ctx<'_>, ep: &Episode, words: &str, at: DateTime<Utc>) -> Result<Episode> {
    let day = at.date_naive();
    let p = CarePlan {
        agreed_on: day,
        what_matters: words.into(),
        goals: vec![
            "Go to a group once a week".into(),
            "Feel less on my own by the summer".into(),
        ],
        actions: vec![
            PlanAction {
                what: "Try the group my link worker found".into(),
                owner: ActionOwner::Person,
                owner_name: String::new(),
                due: day + chrono::Days::new(14),
            },
            PlanAction {
                what: "Refer to the group and check how the first session went".into(),
                owner: ActionOwner::LinkWorker,
                owner_name: String::new(),
                due: day + chrono::Days::new(21),
            },
        ],
        support_offered: "Fortnightly calls from the link worker for the first two months.".into(),
        review_on: day + chrono::Days::new(56),
        phb: Default::default(),
    };
    let (_, ep) = c
        .store
        .add_record(
            c.pcn,
            ep.id,
            &NewRecord {
                kind: RecordKind::Plan,
                status: String::new(),
                body: serde_json::to_string(&p)?,
                assigned_to: None,
                due_at: Some(
                    p.review_on
                        .and_hms_opt(9, 0, 0)
                        .unwrap_or_default()
                        .and_utc(),
                ),
                summary: "Plan agreed".into(),
                at,
            },
            c.actor,
        )
        .await?;
    Ok(ep)
}

/// Connects the person to one to three services and plays the organisations' answers
/// forward to `now`: referrals end up in every closed-loop status across the demo.
pub async fn connect(
    c: &Ctx<'_>,
    ep: &Episode,
    name: &str,
    at: DateTime<Utc>,
    rng: &mut Rng,
) -> Result<Episode> {
    let mut ep = ep.clone();
    let n = rng.range(1, 4);
    let partnered: Vec<&DemoService> = c
        .services
        .iter()
        .filter(|s| s.partner_org_id.is_some() && s.takes_referrals)
        .collect();
    for k in 0..n {
        // Some referrals go to the organisation with a Linkwork account, so the partner's
        // side of the loop has plenty to show.
        let s = if !partnered.is_empty() && rng.chance(0.3) {
            (*rng.pick(&partnered)).clone()
        } else {
            rng.pick(c.services).clone()
        };
        let when = at + Duration::days(k * 3);
        if when > c.now {
            break;
        }
        let refer = s.takes_referrals && rng.chance(0.7);
        let kind = if refer {
            ConnectionKind::Referral
        } else {
            ConnectionKind::Signpost
        };
        let (conn, e2) = c
            .store
            .create_connection(
                c.pcn,
                ep.id,
                &NewConnection {
                    service_id: s.id.clone(),
                    service_name: s.name.clone(),
                    organization_name: s.organization.clone(),
                    partner_org_id: s.partner_org_id,
                    kind,
                    consent_at: refer.then_some(when),
                    shared: SharedDetails {
                        name: name.into(),
                        phone: "07700 900".to_string() + &format!("{:03}", ep.id % 1000),
                        about: "Would like to meet people and get out more.".into(),
                        link_worker: "Link worker".into(),
                        link_worker_contact: "linkworkers@riverside.example".into(),
                        ..Default::default()
                    },
                    due_at: Some(when + Duration::days(i64::from(s.response_days))),
                    note: String::new(),
                    at: when,
                },
                c.actor,
            )
            .await?;
        ep = e2;
        if refer {
            answer(c, &conn, &s, when, rng).await?;
        }
    }
    Ok(ep)
}

async fn answer(
    c: &Ctx<'_>,
    conn: &storage::Connection,
    s: &DemoService,
    sent: DateTime<Utc>,
    rng: &mut Rng,
) -> Result<()> {
    use ConnectionStatus::*;
    let age = (c.now - sent).num_days();
    let roll = rng.range(0, 100);
    // Recent referrals may still be waiting (some overdue, if older than the answer time).
    let path: Vec<(ConnectionStatus, Option<ConnectionReason>)> = if age < 3 || roll < 8 {
        vec![]
    } else if roll < 18 {
        vec![(
            Rejected,
            Some(*rng.pick(&[
                ConnectionReason::NoCapacity,
                ConnectionReason::NoCapacity,
                ConnectionReason::NotEligible,
                ConnectionReason::CouldNotContact,
            ])),
        )]
    } else if roll < 26 || age < 14 {
        vec![(Accepted, None)]
    } else if roll < 34 {
        vec![(Accepted, None), (InProgress, None)]
    } else if roll < 38 {
        vec![(Accepted, None), (OnHold, None)]
    } else if roll < 48 {
        vec![
            (Accepted, None),
            (Failed, Some(ConnectionReason::NoLongerInterested)),
        ]
    } else {
        vec![(Accepted, None), (InProgress, None), (Completed, None)]
    };
    let mut version = conn.version;
    // The organisation answers within a fortnight or so; later steps follow over weeks.
    let mut when = sent + Duration::days(rng.range(1, 15).min(age.max(1)));
    for (to, reason) in path {
        if when > c.now {
            when = c.now;
        }
        let scope = match s.partner_org_id {
            Some(o) => ConnectionScope::Partner(o),
            None => ConnectionScope::Pcn(c.pcn),
        };
        let who = if s.partner_org_id.is_some() {
            c.partner_actor
        } else {
            c.actor
        };
        let updated = c
            .store
            .update_connection(
                scope,
                conn.id,
                version,
                &StatusChange {
                    to,
                    reason,
                    note: String::new(),
                    side: Side::Partner,
                    at: Some(when),
                },
                who,
            )
            .await?;
        version = updated.version;
        when += Duration::days(rng.range(7, 60));
    }
    // A few requested referrals get cancelled by the link worker.
    if version == conn.version && age > 40 && roll < 4 {
        c.store
            .update_connection(
                ConnectionScope::Pcn(c.pcn),
                conn.id,
                version,
                &StatusChange {
                    to: Cancelled,
                    reason: Some(ConnectionReason::ReferredElsewhere),
                    note: String::new(),
                    side: Side::LinkWorker,
                    at: None,
                },
                c.actor,
            )
            .await?;
    }
    Ok(())
}

pub async fn health_use(
    c: &Ctx<'_>,
    ep: &Episode,
    period: HealthPeriod,
    gp: u16,
    ae: u16,
    at: DateTime<Utc>,
) -> Result<()> {
    let h = HealthUse {
        period,
        gp_appointments: gp,
        ae_attendances: ae,
    };
    record(
        c,
        ep,
        RecordKind::HealthUse,
        serde_json::to_string(&h)?,
        format!(
            "Health service use, {}: {gp} GP appointments, {ae} A&E attendances",
            period.label().to_lowercase()
        ),
        at,
    )
    .await?;
    Ok(())
}

pub async fn discharge(
    c: &Ctx<'_>,
    ep: &Episode,
    reason: DischargeReason,
    at: DateTime<Utc>,
) -> Result<Episode> {
    let d = DischargeSummary {
        reason,
        summary: match reason {
            DischargeReason::GoalsMet => "Goals met: going to the group weekly and feels more confident. Knows how to get back in touch.".into(),
            _ => "Episode closed; the person knows how to get back in touch through their practice.".into(),
        },
    };
    Ok(c.store
        .discharge(
            c.pcn,
            ep.id,
            ep.version,
            reason,
            &serde_json::to_string(&d)?,
            at,
            c.actor,
        )
        .await?)
}

/// A safeguarding concern raised to the supervisor; closed if `close`.
pub async fn safeguarding(c: &Ctx<'_>, ep: &Episode, close: bool, at: DateTime<Utc>) -> Result<()> {
    let s = Safeguarding {
        concern: "Mentioned a neighbour has been taking their bank card to 'help with shopping'."
            .into(),
        raised_to: c.supervisor,
        about: Some(domain::journey::SafeguardingSubject::Adult),
        kinds: vec![domain::journey::ConcernKind::Financial],
        urgency: Some(domain::journey::SafeguardingUrgency::Urgent),
        action_so_far: "Talked it through with them; they agreed I raise it.".into(),
        la_contacted: Some(false),
        la_contacted_on: None,
        action: String::new(),
        closed_on: None,
    };
    let (r, _) = c
        .store
        .add_record(
            c.pcn,
            ep.id,
            &NewRecord {
                kind: RecordKind::Safeguarding,
                status: "open".into(),
                body: serde_json::to_string(&s)?,
                assigned_to: Some(c.supervisor),
                due_at: None,
                summary: "Safeguarding concern (urgent, financial or material abuse) raised to the GP supervisor".into(),
                at,
            },
            c.actor,
        )
        .await?;
    if close {
        let closed = s
            .close(
                "Discussed with the person and their daughter; bank contacted and adult social care informed.",
                "yes",
                &at.date_naive().to_string(),
                at.date_naive(),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        c.store
            .update_record(
                c.pcn,
                r.id,
                r.version,
                "closed",
                &serde_json::to_string(&closed)?,
                "Safeguarding concern closed by the GP supervisor, with the action taken",
                c.actor,
            )
            .await?;
    }
    Ok(())
}

pub async fn referral_back(c: &Ctx<'_>, ep: &Episode, at: DateTime<Utc>) -> Result<()> {
    let b = ReferralBack {
        clinician: "Dr Priya Shah (GP)".into(),
        reason: "Low mood getting worse over the last month; asked to see the GP about it.".into(),
    };
    record(
        c,
        ep,
        RecordKind::ReferralBack,
        serde_json::to_string(&b)?,
        format!("Referred back to {}", b.clinician),
        at,
    )
    .await?;
    Ok(())
}

/// Marks most codes queued more than a fortnight ago as recorded, as practices do.
pub async fn record_codes(c: &Ctx<'_>, rng: &mut Rng) -> Result<usize> {
    let mut n = 0;
    for e in c.store.coding_entries(c.pcn, None, true).await? {
        if (c.now - e.queued_at).num_days() > 14 && rng.chance(0.85) {
            c.store.mark_coded(c.pcn, e.id, c.actor).await?;
            n += 1;
        }
    }
    Ok(n)
}
