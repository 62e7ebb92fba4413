//! One person's page with their episodes.

use super::*;

#[derive(Template)]
#[template(path = "person_show.html")]
pub(super) struct ShowPage {
    ctx: PageCtx,
    id: i64,
    name: String,
    summary: Vec<(String, String)>,
    episodes: Vec<EpisodeView>,
    timeline: Vec<(String, String, String)>,
    can_edit: bool,
    can_triage: bool,
    can_refer: bool,
    workers: Vec<Opt>,
    /// NHS number, date of birth and age, telephone: what identifies them at a glance.
    key_facts: String,
    /// The open episode the main action (record a contact) is for: (id, label).
    current: Option<(i64, String)>,
    /// Other records that may be the same person: (id, "Name, born …", why).
    duplicates: Vec<(i64, String, String)>,
    can_merge: bool,
    /// Merges into this record not undone: (merge id, what was merged, when and why).
    merges: Vec<(i64, String)>,
    /// Open "please call me" requests from their own plan, in words.
    call_requests: Vec<String>,
}

pub(crate) struct EpisodeView {
    pub id: i64,
    /// The card's heading, as people name an episode: "Referred 3 Dec 2026".
    pub heading: String,
    /// The same, for screen-reader text after a button: "the referral of 3 Dec 2026".
    pub label: String,
    pub version: i64,
    pub state: String,
    pub tag: &'static str,
    pub closed: bool,
    pub summary: Vec<(String, String)>,
    pub next_states: Vec<Opt>,
    /// The last day a closed episode may be reopened, while it still may.
    pub reopen_until: Option<String>,
    pub next_contact_value: String,
    /// (when, what, who was there, notes), newest first.
    pub contacts: Vec<(String, String, String, String)>,
    pub contacts_norm: String,
    /// below, within or above the usual 6–12.
    pub norm_band: &'static str,
    pub j: crate::pages::person_journey::JourneyView,
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_read_people(), "person.read")
        .await?;
    let pcn = auth.pcn()?;
    let Some(p) = state.store.get_person(pcn, id).await? else {
        // A record merged into another: its address leads to the record it went into.
        if let Some(kept) = state.store.merged_into(pcn, id).await? {
            return Ok(see_other(&format!("/people/{kept}?done=merged-away")));
        }
        return Err(auth.not_found(&state, "person", id).await);
    };
    auth.need_to_know(&state, pcn, id).await?;
    auth.audit_read(&state, "person.read", Some(id), "person page".into())
        .await?;
    let d = &p.details;
    let today = domain::uk_time::today();
    let practices = state.store.list_practices(pcn).await?;
    let users = state.store.list_users(Some(pcn)).await?;
    let names: HashMap<i64, String> = users.iter().map(|u| (u.id, u.name.clone())).collect();
    let dash = |s: &str| {
        if s.trim().is_empty() {
            "—".to_string()
        } else {
            s.to_string()
        }
    };
    let mut summary = vec![
        (
            "NHS number".into(),
            d.nhs_number
                .as_ref()
                .map_or("Not known".into(), |n| n.to_string()),
        ),
        (
            "Date of birth".into(),
            format!("{} (aged {})", date(d.date_of_birth), d.age_on(today)),
        ),
        ("Sex".into(), d.sex.label().into()),
        ("Gender identity".into(), dash(&d.gender_identity)),
        (
            "Ethnic category".into(),
            d.ethnicity.map_or("—".into(), |e| e.label().into()),
        ),
        (
            "GP practice".into(),
            d.practice_id
                .and_then(|pid| practices.iter().find(|p| p.id == pid))
                .map_or("—".into(), |p| p.name.clone()),
        ),
        (
            "Preferred language".into(),
            format!(
                "{}{}",
                dash(&d.language),
                if d.interpreter_needed {
                    " (needs an interpreter)"
                } else {
                    ""
                }
            ),
        ),
    ];
    let needs: Vec<&str> = d.access_needs.iter().map(|a| a.label()).collect();
    let mut access = needs.join(", ");
    if !d.access_notes.is_empty() {
        access = if access.is_empty() {
            d.access_notes.clone()
        } else {
            format!("{access}. {}", d.access_notes)
        };
    }
    summary.push(("Communication needs".into(), dash(&access)));
    summary.push((
        "Address".into(),
        dash(&format!(
            "{} {}",
            d.address,
            d.postcode
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default()
        )),
    ));
    summary.push(("Telephone".into(), dash(&d.phone)));
    summary.push(("Email".into(), dash(&d.email)));
    summary.push((
        "Preferred contact".into(),
        d.preferred_contact.map_or("—".into(), |c| c.label().into()),
    ));
    let answer = |v: Option<bool>, no: &str| match v {
        None => "Not asked".to_string(),
        Some(true) => "Yes".to_string(),
        Some(false) => no.to_string(),
    };
    summary.push((
        "Safe to leave a voicemail".into(),
        answer(d.voicemail_ok, "No (do not leave a voicemail)"),
    ));
    summary.push(("Texts".into(), answer(d.texts_ok, "No (do not send texts)")));
    summary.push(("Carer status".into(), d.carer_status.label().into()));
    summary.push(("Carer or next of kin".into(), dash(&d.carer_details)));

    let referrals = state.store.referrals_for_person(pcn, id).await?;
    let episodes = state.store.episodes_for_person(pcn, id).await?;
    // An unsent one-time code is shown only to the person's own link worker, and only while
    // it still opens their plan (they may read it out once they know it is them).
    let their_worker = episodes
        .iter()
        .any(|e| !e.state.is_closed() && e.link_worker_id == Some(auth.user.id));
    let code_pending = their_worker
        && state
            .store
            .plan_links_for_person(pcn, id)
            .await?
            .first()
            .is_some_and(|l| {
                l.is_live(Utc::now())
                    && l.otp_hash.is_some()
                    && l.otp_expires_at.is_some_and(|t| t > Utc::now())
            });
    let all_contacts = state.store.contacts_for_person(pcn, id).await?;
    let records = state.store.records_for_person(pcn, id).await?;
    let connections = state.store.connections_for_person(pcn, id).await?;
    let codes = state.store.coding_for_person(pcn, id).await?;
    let now = Utc::now();
    // Read only when a referral names a partner (most person pages have none).
    let live_partners: std::collections::HashSet<i64> =
        if connections.iter().any(|c| c.partner_org_id.is_some()) {
            state
                .store
                .partner_links(Some(pcn), None)
                .await?
                .into_iter()
                .filter(|l| l.is_live())
                .map(|l| l.partner_org_id)
                .collect()
        } else {
            Default::default()
        };
    let episodes: Vec<EpisodeView> = episodes
        .iter()
        .map(|e| {
            let r = referrals.iter().find(|r| r.id == e.referral_id);
            let mut s = vec![
                (
                    "Referred".into(),
                    format!(
                        "{} ({} days ago)",
                        datetime(e.referred_at),
                        (now - e.referred_at).num_days()
                    ),
                ),
                (
                    "Link worker".into(),
                    e.link_worker_id
                        .and_then(|w| names.get(&w).cloned())
                        .unwrap_or_else(|| "Not yet assigned".into()),
                ),
            ];
            if let Some(r) = r {
                let by = if r.referrer_name.is_empty() {
                    r.source.label().to_string()
                } else {
                    let mut by = format!("{} ({})", r.referrer_name, r.source.label());
                    if !r.referrer_organisation.is_empty() {
                        by.push_str(&format!(", {}", r.referrer_organisation));
                    }
                    by
                };
                s.push(("Referred by".into(), by));
                if let Some(reference) = &r.reference {
                    s.push(("Their reference".into(), reference.clone()));
                }
                if !r.referrer_contact.is_empty() {
                    s.push(("Referrer contact".into(), r.referrer_contact.clone()));
                }
                s.push(("Urgency".into(), r.urgency.label().into()));
                s.push((
                    "Needs".into(),
                    dash(
                        &r.needs
                            .iter()
                            .map(|n| n.label())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ));
                s.push(("Reason".into(), dash(&r.reason)));
            }
            s.push(("First contact".into(), opt_date(e.first_contact_at)));
            s.push(("Next contact".into(), opt_date(e.next_contact_at)));
            if let Some(reason) = e.discharge_reason {
                s.push(("Discharge reason".into(), reason.label().into()));
            }
            let contacts: Vec<&storage::Contact> = all_contacts
                .iter()
                .filter(|c| c.episode_id == e.id)
                .collect();
            let attended = contacts
                .iter()
                .filter(|c| !c.details.did_not_attend)
                .count();
            let norm = domain::contact::contacts_against_norm(attended);
            let j = crate::pages::person_journey::build(
                e,
                &records,
                &connections,
                &codes,
                &contacts,
                &names,
                state.config.unable_to_contact_attempts,
                now,
                &live_partners,
            );
            EpisodeView {
                heading: format!(
                    "Referred {}",
                    date(domain::uk_time::to_uk(e.referred_at).date())
                ),
                label: format!(
                    "the referral of {}",
                    date(domain::uk_time::to_uk(e.referred_at).date())
                ),
                j,
                id: e.id,
                version: e.version,
                state: e.state.label().into(),
                tag: e.state.tag(),
                closed: e.state.is_closed(),
                summary: s,
                next_states: e
                    .state
                    .next_states()
                    .iter()
                    .filter(|s| **s != EpisodeState::Discharged && !s.is_closing())
                    .map(|s| Opt {
                        value: s.code().into(),
                        label: s.label().into(),
                        selected: false,
                    })
                    .collect(),
                reopen_until: domain::episode::may_reopen(e.state, e.closed_at, Utc::now())
                    .ok()
                    .and(e.closed_at)
                    .map(|at| {
                        date(
                            domain::uk_time::to_uk(
                                at + chrono::Duration::days(domain::episode::REOPEN_DAYS),
                            )
                            .date(),
                        )
                    }),
                next_contact_value: e
                    .next_contact_at
                    .map(|t| domain::uk_time::to_uk(t).format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                contacts: contacts
                    .iter()
                    .map(|c| {
                        let d = &c.details;
                        let present: Vec<&str> = d.present.iter().map(|p| p.label()).collect();
                        (
                            datetime(d.at),
                            d.summary(),
                            present.join(", "),
                            d.notes.clone(),
                        )
                    })
                    .collect(),
                contacts_norm: norm.0,
                norm_band: norm.1,
            }
        })
        .collect();
    // Texts to the person (reminders), newest first, with where each stands.
    let notifications = state.store.notifications_for_person(pcn, id).await?;
    // Only the newest code can still be the one waiting to be typed.
    let newest_code = notifications
        .iter()
        .filter(|n| n.purpose == "code")
        .max_by_key(|n| (n.created_at, n.id))
        .map(|n| n.id);
    let mut code_shown = false;
    let mut timeline: Vec<(chrono::DateTime<Utc>, String, String)> = notifications
        .into_iter()
        .map(|n| {
            let code = (code_pending && Some(n.id) == newest_code)
                .then(|| crate::texts::unsent_code(&n, now))
                .flatten();
            code_shown |= code.is_some();
            (
                n.created_at,
                format!(
                    "{} to {}: \"{}\" ({}){}",
                    if n.channel == "email" { "Email" } else { "Text" },
                    n.to_address,
                    n.preview,
                    n.status_words(),
                    code.map(|c| format!(". The code was not sent: once you know it is them, you may tell them it ({c})"))
                        .unwrap_or_default()
                ),
                "Linkwork".to_string(),
            )
        })
        .collect();
    if code_shown {
        auth.audit_read(
            &state,
            "plan.code_shown",
            Some(id),
            "their unsent one-time code, to read out".into(),
        )
        .await?;
    }
    // The timeline names people by name and role, not by their sign-in address: only the
    // accounts it names are read, not every account of the deployment.
    let events = state.store.timeline(pcn, id).await?;
    let mut labels: Vec<String> = events
        .iter()
        .filter(|t| t.actor_label.contains('@'))
        .map(|t| t.actor_label.to_lowercase())
        .collect();
    labels.sort();
    labels.dedup();
    let actors = state.store.users_by_emails(&labels).await?;
    timeline.extend(events.into_iter().map(|t| {
        let who = who_did(&actors, &t.actor_label);
        (t.at, t.summary, who)
    }));
    timeline.sort_by_key(|t| std::cmp::Reverse(t.0));
    let call_requests: Vec<String> = state
        .store
        .call_requests_for_person(pcn, id)
        .await?
        .into_iter()
        .filter(|r| r.done_at.is_none())
        .map(|r| {
            let when = match r.best_time.as_str() {
                "morning" => ", in the morning",
                "afternoon" => ", in the afternoon",
                _ => "",
            };
            let note = if r.note.is_empty() {
                String::new()
            } else {
                format!(": \u{201c}{}\u{201d}", r.note)
            };
            format!("Asked {}{when}{note}", datetime(r.created_at))
        })
        .collect();
    let timeline = timeline
        .into_iter()
        .map(|(at, what, who)| (datetime(at), what, who))
        .collect();
    let workers = users
        .iter()
        .filter(|u| u.role == domain::Role::LinkWorker && !u.disabled)
        .map(|u| Opt {
            value: u.id.to_string(),
            label: u.name.clone(),
            selected: false,
        })
        .collect();
    let key_facts = format!(
        "NHS number {} · born {} (aged {}){}",
        d.nhs_number
            .as_ref()
            .map_or("not known".into(), |n| n.to_string()),
        date(d.date_of_birth),
        d.age_on(today),
        if d.phone.trim().is_empty() {
            String::new()
        } else {
            format!(" · {}", d.phone)
        }
    );
    let current = episodes
        .iter()
        .find(|e| !e.closed)
        .map(|e| (e.id, e.label.clone()));
    let others: Vec<storage::Person> = state
        .store
        .find_possible_duplicates(pcn, d)
        .await?
        .into_iter()
        .filter(|o| o.id != id)
        .collect();
    // The likely duplicates shown are reads of those records too.
    if !others.is_empty() {
        let shown: Vec<(i64, i64)> = others.iter().map(|o| (pcn, o.id)).collect();
        auth.audit_shown(
            &state,
            "person.duplicates",
            &shown,
            &format!("likely duplicates of person {id}"),
        )
        .await?;
    }
    let duplicates = others
        .into_iter()
        .map(|o| {
            let why = domain::person::likely_same(d, &o.details).unwrap_or_default();
            (
                o.id,
                format!(
                    "{}, born {}",
                    o.details.full_name(),
                    date(o.details.date_of_birth)
                ),
                why.to_string(),
            )
        })
        .collect();
    let merged: Vec<storage::PersonMerge> = state
        .store
        .merges_into(pcn, id)
        .await?
        .into_iter()
        .filter(|m| m.undone_at.is_none())
        .collect();
    // The records merged into this one are named on it: reads of those records too.
    if !merged.is_empty() {
        let shown: Vec<(i64, i64)> = merged.iter().map(|m| (pcn, m.merged_id)).collect();
        auth.audit_shown(
            &state,
            "person.read",
            &shown,
            &format!("named as merged into person {id}"),
        )
        .await?;
    }
    let merges = merged
        .into_iter()
        .map(|m| {
            let by = m
                .merged_by
                .and_then(|u| names.get(&u).cloned())
                .unwrap_or_else(|| "Linkwork".into());
            (
                m.id,
                format!(
                    "The record of {} (born {}) was merged into this one on {} by {}: {}",
                    m.merged_details.full_name(),
                    date(m.merged_details.date_of_birth),
                    datetime(m.merged_at),
                    by,
                    m.reason
                ),
            )
        })
        .collect();
    let page = ShowPage {
        ctx: PageCtx::new(Some(&auth), d.full_name(), "/people").flash(flash(q.done.as_deref())),
        id,
        name: d.full_name(),
        summary,
        episodes,
        timeline,
        can_edit: auth.user.role.can_edit_people(),
        can_triage: auth.user.role.can_triage(),
        can_refer: auth.user.role.can_refer(),
        workers,
        key_facts,
        current,
        duplicates,
        call_requests,
        can_merge: auth.user.role.can_merge_people(),
        merges,
    };
    Ok(views::ok(&page))
}

/// Who did something, as the timeline shows it: "Sam Okafor (Link worker)" for a user,
/// "Linkwork" for the system and the demo, the label as recorded otherwise (an API client).
fn who_did(users: &[storage::User], label: &str) -> String {
    match users.iter().find(|u| u.email.eq_ignore_ascii_case(label)) {
        Some(u) => format!("{} ({})", u.name, u.role.label()),
        None if matches!(label, "demo" | "system" | "") => "Linkwork".into(),
        None if label.ends_with("(their own plan)") => "them, on their own plan".into(),
        None => label.to_string(),
    }
}
