//! The message back to the GP and the referrer, shaped on the PRSB Social Prescribing
//! Information Standard (v1.1): who the person is, the referral, what matters to them,
//! their needs, the support offered and how it went, outcome measures, and next steps.
//! One gathering of facts ([`MessageBack`]) gives the FHIR document, the email text and
//! the print page, so they always say the same thing.

use crate::fhir::{cs, full_url, id_system, instant, narrative, reference, ODS_CODE};
use crate::resources::{self, PlanState, Viewer};
use chrono::{DateTime, Utc};
use domain::{CarePlan, Code, ConnectionKind, DischargeSummary, EpisodeState, Measure, Need};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use storage::{Connection, Episode, Pcn, Person, Practice, Referral};

/// Everything the message says.
#[derive(Debug, Clone)]
pub struct MessageBack {
    pub pcn: Pcn,
    pub person: Person,
    pub practice: Option<Practice>,
    pub referral: Referral,
    pub episode: Episode,
    pub link_worker: String,
    /// In the person's words (from the latest plan, or the assessment).
    pub what_matters: String,
    /// Needs with their assessed score (1–5) where assessed; the referral's otherwise.
    pub needs: Vec<(Need, Option<u8>)>,
    pub connections: Vec<Connection>,
    /// The episode's measures, oldest first, with their record ids.
    pub measures: Vec<(i64, Measure)>,
    pub plan: Option<(i64, CarePlan)>,
    pub discharge: Option<DischargeSummary>,
    /// Referrals back to a clinician in the episode: (when, who to, why).
    pub referrals_back: Vec<(DateTime<Utc>, domain::ReferralBack)>,
    /// Safeguarding concerns raised in the episode (the message says only that one was,
    /// and whether it is still open: the details stay with the PCN).
    pub safeguarding: Vec<(DateTime<Utc>, bool)>,
    pub generated_at: DateTime<Utc>,
    /// The latest change to anything it says (the person, the referral, the episode, its
    /// records and connections): the Composition's `meta.lastUpdated`.
    pub changed_at: DateTime<Utc>,
}

/// One heading of the message.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub code: &'static str,
    pub title: &'static str,
    pub lines: Vec<String>,
}

impl MessageBack {
    pub fn title(&self) -> String {
        if self.episode.state == EpisodeState::Discharged {
            "Social prescribing: message back to GP and referrer (discharge)".into()
        } else {
            "Social prescribing: message back to GP and referrer (update)".into()
        }
    }

    /// Outcome measures per instrument: first and latest of each headline figure.
    pub fn outcome_lines(&self) -> Vec<String> {
        let mut by_instrument: BTreeMap<&str, Vec<&Measure>> = BTreeMap::new();
        for (_, m) in &self.measures {
            by_instrument
                .entry(m.instrument.label())
                .or_default()
                .push(m);
        }
        let mut lines = vec![];
        for (_, list) in by_instrument {
            let (Some(first), Some(last)) = (list.first(), list.last()) else {
                continue;
            };
            for (label, v0, _) in first.headlines() {
                let later = last.headlines().into_iter().find(|(l, _, _)| *l == label);
                match later {
                    Some((_, v1, _)) if list.len() > 1 => lines.push(format!(
                        "{label}: {} ({}, {}) → {} ({}, {}); change {:+.2}",
                        fmt_num(v0),
                        point(first.point),
                        date(first.taken_on),
                        fmt_num(v1),
                        point(last.point),
                        date(last.taken_on),
                        v1 - v0
                    )),
                    _ => lines.push(format!(
                        "{label}: {} ({}, {})",
                        fmt_num(v0),
                        point(first.point),
                        date(first.taken_on)
                    )),
                }
            }
        }
        lines
    }

    pub fn sections(&self) -> Vec<Section> {
        let r = &self.referral;
        let mut referral = vec![format!(
            "Referred on {} by {} ({}).",
            date(domain::uk_time::to_uk(r.received_at).date()),
            if r.referrer_name.is_empty() {
                "the person themselves"
            } else {
                &r.referrer_name
            },
            r.source.label()
        )];
        if !r.reason.is_empty() {
            referral.push(format!("Reason: {}", r.reason));
        }
        referral.push(format!(
            "Link worker: {}, {}.",
            self.link_worker, self.pcn.name
        ));
        let needs = self
            .needs
            .iter()
            .map(|(n, score)| match score {
                Some(s) => format!(
                    "{}: {} ({s} of 5)",
                    n.label(),
                    domain::journey::need_score_label(*s)
                ),
                None => format!("{} (flagged at referral)", n.label()),
            })
            .collect();
        let support = self
            .connections
            .iter()
            .map(|c| match c.kind {
                ConnectionKind::Signpost => format!(
                    "{} ({}): signposted, information given",
                    c.service_name, c.organization_name
                ),
                ConnectionKind::Referral => {
                    let mut s = format!(
                        "{} ({}): referred; {}",
                        c.service_name,
                        c.organization_name,
                        c.status.label().to_lowercase()
                    );
                    if let Some(reason) = c.reason {
                        s.push_str(&format!(" ({})", reason.label().to_lowercase()));
                    }
                    s
                }
            })
            .chain(
                self.plan
                    .iter()
                    .filter(|(_, p)| !p.support_offered.is_empty())
                    .map(|(_, p)| format!("Also: {}", p.support_offered)),
            )
            .collect();
        let mut next = vec![];
        match (&self.discharge, self.episode.state) {
            (Some(d), EpisodeState::Discharged) => {
                next.push(format!(
                    "Discharged from social prescribing: {}.",
                    d.reason.label()
                ));
                if !d.summary.is_empty() {
                    next.push(d.summary.clone());
                }
            }
            (_, state) => {
                next.push(format!(
                    "Still supported by social prescribing ({}).",
                    state.label().to_lowercase()
                ));
                if let Some((_, p)) = &self.plan {
                    next.push(format!("Plan review due {}.", date(p.review_on)));
                    for a in &p.actions {
                        next.push(format!(
                            "{} — {} by {}",
                            a.what,
                            a.owner.label(),
                            date(a.due)
                        ));
                    }
                }
            }
        }
        if let Some((_, p)) = &self.plan {
            if !p.goals.is_empty() {
                next.push(format!("Goals agreed: {}", p.goals.join("; ")));
            }
        }
        next.push("No action is needed from the GP unless stated above. Please record the social prescribing codes sent separately.".into());
        if let Some((_, p)) = &self.plan {
            if p.phb.status != domain::journey::PhbStatus::NotDiscussed {
                next.push(format!("Personal health budget: {}.", p.phb.summary()));
            }
        }
        let mut attention: Vec<String> = self
            .referrals_back
            .iter()
            .map(|(at, r)| {
                format!(
                    "Referred back to {} on {}: {}",
                    r.clinician,
                    date(domain::uk_time::to_uk(*at).date()),
                    r.reason
                )
            })
            .collect();
        for (at, open) in &self.safeguarding {
            attention.push(format!(
                "A safeguarding concern was raised on {} and {}. The details are held by the PCN: contact the link worker.",
                date(domain::uk_time::to_uk(*at).date()),
                if *open {
                    "is open with the GP supervisor"
                } else {
                    "was reviewed and closed by the GP supervisor"
                }
            ));
        }
        if attention.is_empty() {
            attention.push(
                "Nothing flagged: no referral back to a clinician and no safeguarding concern."
                    .into(),
            );
        }
        vec![
            Section {
                code: "attention",
                title: "For attention",
                lines: attention,
            },
            Section {
                code: "referral",
                title: "Referral",
                lines: referral,
            },
            Section {
                code: "what-matters",
                title: "What matters to the person",
                lines: if self.what_matters.is_empty() {
                    vec![]
                } else {
                    vec![self.what_matters.clone()]
                },
            },
            Section {
                code: "needs",
                title: "Needs and concerns",
                lines: needs,
            },
            Section {
                code: "support-offered",
                title: "Support offered and outcome",
                lines: support,
            },
            Section {
                code: "outcomes",
                title: "Outcome measures",
                lines: self.outcome_lines(),
            },
            Section {
                code: "next-steps",
                title: "Next steps",
                lines: next,
            },
        ]
    }

    /// The message as plain text, for email.
    pub fn text(&self) -> String {
        let d = &self.person.details;
        let mut out = format!("{}\n\n", self.title());
        out.push_str(&format!("Person: {} {}\n", d.given_name, d.family_name));
        out.push_str(&format!("Date of birth: {}\n", date(d.date_of_birth)));
        out.push_str(&format!(
            "NHS number: {}\n",
            d.nhs_number
                .as_ref()
                .map_or("not known".into(), |n| n.to_string())
        ));
        if let Some(p) = &self.practice {
            out.push_str(&format!("GP practice: {} ({})\n", p.name, p.ods_code));
        }
        for s in self.sections() {
            out.push_str(&format!(
                "\n{}\n{}\n",
                s.title,
                "-".repeat(s.title.chars().count())
            ));
            if s.lines.is_empty() {
                out.push_str("None recorded.\n");
            }
            for l in &s.lines {
                out.push_str(l);
                out.push('\n');
            }
        }
        out.push_str(&format!(
            "\nSent by Linkwork for {} on {}. This message contains personal information: keep it in the person's record and do not forward it.\n",
            self.pcn.name,
            instant(self.generated_at)
        ));
        out
    }

    /// The Composition on its own (`Composition/episode-{id}`).
    pub fn composition(&self) -> Value {
        let pcn_ref = reference("Organization", format!("pcn-{}", self.pcn.id));
        let sections: Vec<Value> = self
            .sections()
            .into_iter()
            .map(|s| {
                let mut v = json!({
                    "title": s.title,
                    "code": {"coding": [{"system": cs("message-back-section"), "code": s.code, "display": s.title}]},
                    "text": narrative(&s.lines.join("\n")),
                });
                let entries: Vec<Value> = match s.code {
                    "referral" => vec![reference("ServiceRequest", format!("referral-{}", self.referral.id))],
                    "support-offered" => self.connections.iter().map(|c| reference("ServiceRequest", format!("connection-{}", c.id))).collect(),
                    "outcomes" => self.measures.iter().map(|(id, _)| reference("Observation", id)).collect(),
                    "next-steps" => self.plan.iter().map(|(id, _)| reference("CarePlan", id)).collect(),
                    _ => vec![],
                };
                if !entries.is_empty() {
                    v["entry"] = json!(entries);
                }
                v
            })
            .collect();
        json!({
            "resourceType": "Composition",
            "id": format!("episode-{}", self.episode.id),
            "identifier": {"system": id_system("message-back"), "value": format!("episode-{}", self.episode.id)},
            "status": if self.episode.state == EpisodeState::Discharged { "final" } else { "preliminary" },
            "type": {"coding": [{"system": cs("document-type"), "code": "social-prescribing-message-back", "display": "Social prescribing message back to GP and referrer"}], "text": "Social prescribing message back to GP and referrer (PRSB Social Prescribing Standard v1.1)"},
            "subject": reference("Patient", self.person.id),
            "date": instant(self.generated_at),
            "author": [pcn_ref.clone()],
            "title": self.title(),
            "custodian": pcn_ref,
            "section": sections,
        })
    }

    /// The FHIR document: a Bundle of type `document` with the Composition first and every
    /// resource it points to.
    pub fn document(&self, base: &str) -> Value {
        let viewer = Viewer::Pcn;
        let mut resources = vec![
            self.composition(),
            resources::patient(&self.person, self.practice.as_ref()),
            resources::pcn_organization(&self.pcn),
            resources::referral_request(&self.referral, &self.episode),
        ];
        resources.extend(
            self.connections
                .iter()
                .map(|c| resources::connection_request(c, viewer)),
        );
        resources.extend(
            self.measures
                .iter()
                .map(|(id, m)| resources::observation(*id, self.person.id, m)),
        );
        if let Some((id, p)) = &self.plan {
            let state = if self.episode.state == EpisodeState::Discharged {
                PlanState::Closed
            } else {
                PlanState::Current
            };
            resources.push(resources::care_plan(*id, self.person.id, p, state));
        }
        let stamp = instant(self.generated_at);
        let mut doc = json!({
            "resourceType": "Bundle",
            "id": format!("message-back-{}-{}", self.episode.id, self.generated_at.timestamp()),
            "identifier": {"system": id_system("message-back-document"), "value": format!("episode-{}-{}", self.episode.id, self.generated_at.timestamp())},
            "type": "document",
            "timestamp": stamp,
            "entry": resources.into_iter().map(|r| json!({"fullUrl": full_url(base, &r), "resource": r})).collect::<Vec<_>>(),
        });
        // Wherever it is sent (the API, a file), it holds no empty value.
        resources::prune(&mut doc);
        doc
    }

    /// The practice as a reference, for pages.
    pub fn practice_line(&self) -> String {
        self.practice.as_ref().map_or("Not recorded".into(), |p| {
            format!("{} ({})", p.name, p.ods_code)
        })
    }
}

/// "baseline", "review", "discharge".
fn point(p: domain::MeasurePoint) -> String {
    p.label()
        .split(" (")
        .next()
        .unwrap_or_default()
        .to_lowercase()
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The ODS identifier system, re-exported for pages that show it.
pub const PRACTICE_SYSTEM: &str = ODS_CODE;

/// A date as people in the NHS write it in a letter: "3 Dec 2026".
fn date(d: chrono::NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}
