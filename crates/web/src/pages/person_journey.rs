//! The journey part of the person page: for one episode, what matters, the plan and its
//! versions, outcome measures with a chart, connections and their status, safeguarding,
//! referral back, health service use, discharge and GP-record codes.

use crate::charts::{format_value, line_chart, Series};
use crate::views::{date, datetime, Opt};
use chrono::{DateTime, Utc};
use domain::journey::{need_score_label, ActionOwner};
use domain::{
    Assessment, CarePlan, Code, ConnectionKind, ConnectionReason, ConnectionStatus,
    DischargeSummary, EpisodeState, HealthUse, Instrument, Measure, RecordKind, ReferralBack,
    Safeguarding, Side,
};
use std::collections::HashMap;
use storage::{CodingEntry, Connection, Contact, Episode, EpisodeRecord};

pub(crate) struct AssessmentView {
    pub date: String,
    pub what_matters: String,
    /// (need, score label, note)
    pub needs: Vec<(String, String, String)>,
    pub strengths: String,
    pub interests: String,
}

pub(crate) struct PlanView {
    pub agreed: String,
    pub review: String,
    pub goals: Vec<String>,
    /// (what, who, by when)
    pub actions: Vec<(String, String, String)>,
    pub support: String,
    /// Where a personal health budget stands, once discussed.
    pub phb: Option<String>,
}

pub(crate) struct ChartView {
    pub svg: String,
    pub caption: String,
    pub headers: Vec<String>,
    /// (when, values per series)
    pub rows: Vec<(String, Vec<String>)>,
    pub change: String,
}

pub(crate) struct ConnView {
    pub id: i64,
    /// What the person said on their own plan ("They said they went, 3 Dec 2026").
    pub person_said: String,
    pub version: i64,
    pub service: String,
    pub service_id: String,
    pub organization: String,
    pub kind: String,
    pub status: String,
    pub tag: &'static str,
    pub reason: String,
    pub note: String,
    pub sent: String,
    pub due: String,
    pub overdue: bool,
    pub can_cancel: bool,
    /// Statuses the link worker may record for an organisation without an account.
    pub record_for_org: Vec<Opt>,
}

pub(crate) struct JourneyView {
    pub open: bool,
    pub deciding: bool,
    pub may_decline: bool,
    pub attempts: usize,
    pub attempts_needed: u32,
    pub assessment: Option<AssessmentView>,
    /// (date, what matters) of earlier assessments, newest first.
    pub earlier_assessments: Vec<(String, String)>,
    pub plan: Option<PlanView>,
    /// (version number, date agreed), newest first.
    pub plan_versions: Vec<(usize, String)>,
    pub measures: Vec<(String, String, String, String)>,
    pub charts: Vec<ChartView>,
    pub connections: Vec<ConnView>,
    /// (raised, concern, status, action)
    pub safeguarding: Vec<(String, String, String, String)>,
    /// (date, to whom, reason)
    pub referrals_back: Vec<(String, String, String)>,
    /// (period, GP appointments, A&E attendances)
    pub health: Vec<(String, u16, u16)>,
    pub discharge: Option<(String, String)>,
    /// (concept id, term, recorded?)
    pub codes: Vec<(String, String, String)>,
    pub instruments: Vec<(&'static str, &'static str)>,
    pub reasons: Vec<Opt>,
}

fn status_tag(s: ConnectionStatus) -> &'static str {
    use ConnectionStatus::*;
    match s {
        Requested => "blue",
        Accepted | InProgress => "turquoise",
        OnHold => "yellow",
        Completed => "green",
        Rejected | Failed => "red",
        Cancelled => "grey",
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    e: &Episode,
    records: &[EpisodeRecord],
    connections: &[Connection],
    codes: &[CodingEntry],
    contacts: &[&Contact],
    names: &HashMap<i64, String>,
    attempts_needed: u32,
    now: DateTime<Utc>,
    // Partner organisations that answer this PCN's referrals in Linkwork now.
    live_partners: &std::collections::HashSet<i64>,
) -> JourneyView {
    let mine: Vec<&EpisodeRecord> = records.iter().filter(|r| r.episode_id == e.id).collect();
    let of = |k: RecordKind| mine.iter().filter(move |r| r.kind == k);
    let assessments: Vec<Assessment> = of(RecordKind::Assessment)
        .filter_map(|r| r.parse())
        .collect();
    let assessment = assessments.last().map(|a| AssessmentView {
        date: date(a.assessed_on),
        what_matters: a.what_matters.clone(),
        needs: {
            let mut n = a.needs.clone();
            n.sort_by_key(|x| std::cmp::Reverse(x.score));
            n.iter()
                .map(|n| {
                    (
                        n.need.label().into(),
                        need_score_label(n.score).into(),
                        n.note.clone(),
                    )
                })
                .collect()
        },
        strengths: a.strengths.clone(),
        interests: a
            .interests
            .iter()
            .map(|c| c.label())
            .collect::<Vec<_>>()
            .join(", "),
    });
    let earlier_assessments = assessments
        .iter()
        .rev()
        .skip(1)
        .map(|a| (date(a.assessed_on), a.what_matters.clone()))
        .collect();
    let plans: Vec<CarePlan> = of(RecordKind::Plan).filter_map(|r| r.parse()).collect();
    let worker = e
        .link_worker_id
        .and_then(|w| names.get(&w).cloned())
        .unwrap_or_else(|| "Link worker".into());
    let plan = plans.last().map(|p| PlanView {
        agreed: date(p.agreed_on),
        review: date(p.review_on),
        goals: p.goals.clone(),
        actions: p
            .actions
            .iter()
            .map(|a| {
                let who = match a.owner {
                    ActionOwner::Person => "The person".to_string(),
                    ActionOwner::LinkWorker => worker.clone(),
                    ActionOwner::Other => a.owner_name.clone(),
                };
                (a.what.clone(), who, date(a.due))
            })
            .collect(),
        support: p.support_offered.clone(),
        phb: (p.phb.status != domain::journey::PhbStatus::NotDiscussed).then(|| {
            let mut s = p.phb.summary();
            if let Some(b) = p.phb.basis {
                s.push_str(&format!(". {}", b.label()));
            }
            s
        }),
    });
    let plan_versions = plans
        .iter()
        .enumerate()
        .rev()
        .map(|(i, p)| (i + 1, date(p.agreed_on)))
        .collect();
    let mut measures_list: Vec<Measure> =
        of(RecordKind::Measure).filter_map(|r| r.parse()).collect();
    measures_list.sort_by_key(|m| m.taken_on);
    let measures = measures_list
        .iter()
        .rev()
        .map(|m| {
            (
                date(m.taken_on),
                m.point.label().to_string(),
                m.instrument.code().to_uppercase(),
                m.headlines()
                    .iter()
                    .map(|(l, v, _)| format!("{l}: {}", format_value(*v)))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
        .collect();
    let charts = Instrument::ALL
        .iter()
        .filter_map(|i| chart(e.id, *i, &measures_list))
        .collect();
    let connections = connections
        .iter()
        .filter(|c| c.episode_id == e.id)
        .map(|c| ConnView {
            id: c.id,
            person_said: match (c.person_said.as_deref(), c.person_said_at) {
                (Some("went"), Some(at)) => {
                    format!("They said they went ({})", crate::views::opt_date(Some(at)))
                }
                (Some(_), Some(at)) => format!(
                    "They said they did not go ({})",
                    crate::views::opt_date(Some(at))
                ),
                _ => String::new(),
            },
            version: c.version,
            service: c.service_name.clone(),
            service_id: c.service_id.clone(),
            organization: c.organization_name.clone(),
            kind: c.kind.label().into(),
            status: if c.kind == ConnectionKind::Signpost {
                "Information given".into()
            } else {
                c.status.label().into()
            },
            tag: status_tag(c.status),
            reason: c.reason.map(|r| r.label().to_string()).unwrap_or_default(),
            note: c.note.clone(),
            sent: datetime(c.created_at),
            due: c
                .due_at
                .map(|d| date(domain::uk_time::to_uk(d).date()))
                .unwrap_or_default(),
            overdue: c.is_overdue(now),
            can_cancel: c.kind == ConnectionKind::Referral && !c.status.is_closed(),
            record_for_org: if c.kind == ConnectionKind::Referral
                && !c.partner_org_id.is_some_and(|o| live_partners.contains(&o))
            {
                c.status
                    .next(Side::Partner)
                    .iter()
                    .map(|s| Opt {
                        value: s.code().into(),
                        label: s.label().into(),
                        selected: false,
                    })
                    .collect()
            } else {
                vec![]
            },
        })
        .collect();
    let safeguarding = of(RecordKind::Safeguarding)
        .filter_map(|r| {
            let s: Safeguarding = r.parse()?;
            let to = names.get(&s.raised_to).cloned().unwrap_or_default();
            Some((
                datetime(r.created_at),
                format!("{} (raised to {to})", s.concern),
                if r.status == "open" {
                    "Open".into()
                } else {
                    "Closed".into()
                },
                s.action,
            ))
        })
        .collect();
    let referrals_back = of(RecordKind::ReferralBack)
        .filter_map(|r| {
            let b: ReferralBack = r.parse()?;
            Some((datetime(r.created_at), b.clinician, b.reason))
        })
        .collect();
    let health = of(RecordKind::HealthUse)
        .filter_map(|r| {
            let h: HealthUse = r.parse()?;
            Some((
                h.period.label().to_string(),
                h.gp_appointments,
                h.ae_attendances,
            ))
        })
        .collect();
    let discharge = of(RecordKind::Discharge)
        .filter_map(|r| r.parse::<DischargeSummary>())
        .next_back()
        .map(|d| (d.reason.label().to_string(), d.summary));
    let codes = codes
        .iter()
        .filter(|c| c.episode_id == e.id)
        .map(|c| {
            (
                c.concept_id.clone(),
                c.term.clone(),
                match c.recorded_at {
                    Some(t) => format!("Recorded {}", date(domain::uk_time::to_uk(t).date())),
                    None => "Waiting to be recorded".into(),
                },
            )
        })
        .collect();
    JourneyView {
        open: !e.state.is_closed(),
        deciding: e.state == EpisodeState::Contacting,
        may_decline: matches!(e.state, EpisodeState::Referred | EpisodeState::Contacting),
        attempts: contacts.iter().filter(|c| c.details.did_not_attend).count(),
        attempts_needed,
        assessment,
        earlier_assessments,
        plan,
        plan_versions,
        measures,
        charts,
        connections,
        safeguarding,
        referrals_back,
        health,
        discharge,
        codes,
        instruments: Instrument::ALL
            .iter()
            .map(|i| (i.code(), short(*i)))
            .collect(),
        reasons: ConnectionReason::ALL
            .iter()
            .map(|r| Opt {
                value: r.code().into(),
                label: r.label().into(),
                selected: false,
            })
            .collect(),
    }
}

fn short(i: Instrument) -> &'static str {
    match i {
        Instrument::Ons4 => "ONS4",
        Instrument::Wemwbs => "WEMWBS",
        Instrument::Swemwbs => "SWEMWBS",
        Instrument::Mycaw => "MYCaW",
    }
}

/// The change in one instrument over the episode, as a chart with its data table.
fn chart(episode: i64, i: Instrument, all: &[Measure]) -> Option<ChartView> {
    let ms: Vec<&Measure> = all.iter().filter(|m| m.instrument == i).collect();
    if ms.is_empty() {
        return None;
    }
    let mut labels: Vec<&'static str> = vec![];
    for m in &ms {
        for (l, _, _) in m.headlines() {
            if !labels.contains(&l) {
                labels.push(l);
            }
        }
    }
    let series: Vec<Series> = labels
        .iter()
        .map(|l| Series {
            label: (*l).to_string(),
            values: ms
                .iter()
                .map(|m| m.headlines().iter().find(|h| h.0 == *l).map(|h| h.1))
                .collect(),
        })
        .collect();
    let x: Vec<String> = ms
        .iter()
        .map(|m| format!("{} {}", m.point.code(), m.taken_on.format("%-d %b")))
        .collect();
    let mut changes = vec![];
    for (k, l) in labels.iter().enumerate() {
        let vals: Vec<f64> = series[k].values.iter().flatten().copied().collect();
        let better_up = ms
            .iter()
            .flat_map(|m| m.headlines())
            .find(|h| h.0 == *l)
            .is_some_and(|h| h.2);
        if let (Some(first), Some(last)) = (vals.first(), vals.last()) {
            if vals.len() > 1 {
                let d = last - first;
                let word = if d.abs() < 1e-9 {
                    "no change".to_string()
                } else {
                    let better = (d > 0.0) == better_up;
                    format!(
                        "{} by {} ({})",
                        if d > 0.0 { "up" } else { "down" },
                        format_value(d.abs()),
                        if better { "better" } else { "worse" }
                    )
                };
                changes.push(format!(
                    "{l}: {} to {}, {word}",
                    format_value(*first),
                    format_value(*last)
                ));
            } else {
                changes.push(format!(
                    "{l}: {} (one measure so far)",
                    format_value(*first)
                ));
            }
        }
    }
    let change = changes.join(". ");
    let title = format!("{} over this episode", short(i));
    Some(ChartView {
        svg: line_chart(
            &format!("chart-{episode}-{}", i.code()),
            &title,
            &change,
            &x,
            &series,
            Measure::scale(i),
        ),
        caption: format!("{} scores by date", short(i)),
        headers: labels.iter().map(|l| l.to_string()).collect(),
        rows: ms
            .iter()
            .enumerate()
            .map(|(n, m)| {
                (
                    format!("{} ({})", date(m.taken_on), m.point.label()),
                    series
                        .iter()
                        .map(|s| s.values[n].map(format_value).unwrap_or_else(|| "—".into()))
                        .collect(),
                )
            })
            .collect(),
        change,
    })
}
