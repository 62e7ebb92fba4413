//! Walking one demo episode forward: assignment, contacts, transitions, assessment,
//! plan, connections and discharge, as a link worker would record them.

use super::Rng;
use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use domain::{
    Code, ContactDetails, ContactType, DischargeReason, EpisodeState, Present, ReferralDetails,
};
use std::sync::Arc;
use storage::{Actor, Storage};

/// Walks an episode forward through realistic steps until the next step would be in the
/// future, or until it reaches `target`, recording what a link worker would on the way.
pub(super) async fn journey(
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
        // The person steered to stay active always has an open concern, so the GP
        // supervisor's list is never empty in the demo (the draw above is still made, so
        // everyone else's story stays the same).
        let roll = if target == Some(EpisodeState::Active) {
            0
        } else {
            roll
        };
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
