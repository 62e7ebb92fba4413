//! The report facts. Every query reads in one transaction so the figures agree with each
//! other: PostgreSQL runs it at REPEATABLE READ (`engine::SNAPSHOT_SQL`), SQLite's WAL
//! gives a snapshot from the first read.

use super::engine::{backend, DbRow, Store, SNAPSHOT_SQL};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use storage::{
    CareHomeFact, CodingFact, ConnectionFact, ContactCount, EpisodeFact, FactNeeds, RecordFact,
    ReportFacts, ReportScope, ReportStore, Result,
};

/// The filters every query shares: `$1` PCN, `$2` practice, `$3` link worker, `$4` source.
/// Expects `e` (episodes), `r` (referrals) and `p` (people) in the FROM clause. Queries of
/// an episode's rows also name the PCN on those rows, so the planner can start from the
/// PCN's rows in the period instead of every PCN's.
const SCOPE: &str = "e.pcn_id = $1
    AND (CAST($2 AS BIGINT) IS NULL OR p.practice_id = $2)
    AND (CAST($3 AS BIGINT) IS NULL OR e.link_worker_id = $3)
    AND (CAST($4 AS TEXT) IS NULL OR r.source = $4)";

const EPISODES: &str = "FROM episodes e JOIN referrals r ON r.id = e.referral_id \
    JOIN people p ON p.id = e.person_id";

/// The PCN's episodes not closed before `$6`: still open, or closed since. Two ranges of
/// the `(pcn_id, closed_at)` index, where `closed_at IS NULL OR closed_at >= $6` would
/// have the planner walk every episode the PCN was ever referred (twice as slow at ICB
/// scale, where most of five years' episodes are long closed).
const ALIVE: &str = "SELECT id FROM episodes WHERE pcn_id = $1 AND closed_at IS NULL
    UNION ALL SELECT id FROM episodes WHERE pcn_id = $1 AND closed_at >= $6";

fn episode_fact(r: &DbRow) -> Result<EpisodeFact> {
    let lat: Option<f64> = r.try_get("latitude").map_err(backend)?;
    let lon: Option<f64> = r.try_get("longitude").map_err(backend)?;
    let access: String = r.try_get("access_needs").map_err(backend)?;
    Ok(EpisodeFact {
        episode_id: r.try_get("episode_id").map_err(backend)?,
        person_id: r.try_get("person_id").map_err(backend)?,
        practice_id: r.try_get("practice_id").map_err(backend)?,
        link_worker_id: r.try_get("link_worker_id").map_err(backend)?,
        source: r.try_get("source").map_err(backend)?,
        needs: r.try_get("needs").map_err(backend)?,
        state: r.try_get("state").map_err(backend)?,
        discharge_reason: r.try_get("discharge_reason").map_err(backend)?,
        referred_at: r.try_get("referred_at").map_err(backend)?,
        assigned_at: r.try_get("assigned_at").map_err(backend)?,
        first_contact_at: r.try_get("first_contact_at").map_err(backend)?,
        accepted_at: r.try_get("accepted_at").map_err(backend)?,
        closed_at: r.try_get("closed_at").map_err(backend)?,
        date_of_birth: r.try_get("date_of_birth").map_err(backend)?,
        sex: r.try_get("sex").map_err(backend)?,
        ethnicity: r.try_get("ethnicity").map_err(backend)?,
        carer_status: r.try_get("carer_status").map_err(backend)?,
        has_access_needs: !access.trim().is_empty(),
        location: lat.zip(lon),
        contacts_attended: r.try_get("attended").map_err(backend)?,
        contacts_missed: r.try_get("missed").map_err(backend)?,
    })
}

#[async_trait]
impl ReportStore for Store {
    async fn report_facts(
        &self,
        pcn: i64,
        scope: &ReportScope,
        needs: FactNeeds,
    ) -> Result<ReportFacts> {
        // Episodes alive in the period, and those alive in the 12 months before its end
        // (for "taken on in the last 12 months").
        let alive_from: DateTime<Utc> = scope.from.min(scope.to - chrono::Duration::days(365));
        let mut tx = self.read.begin().await.map_err(backend)?;
        if let Some(sql) = SNAPSHOT_SQL {
            sqlx::query(sql).execute(&mut *tx).await.map_err(backend)?;
        }
        macro_rules! scoped {
            ($sql:expr) => {
                sqlx::query($sql)
                    .bind(pcn)
                    .bind(scope.practice)
                    .bind(scope.link_worker)
                    .bind(scope.source.as_deref())
            };
        }
        let episodes = scoped!(&format!(
            "SELECT e.id AS episode_id, e.person_id, p.practice_id, e.link_worker_id, r.source,
                r.needs, e.state, e.discharge_reason, e.referred_at, e.assigned_at,
                e.first_contact_at, e.accepted_at, e.closed_at, p.date_of_birth, p.sex,
                p.ethnicity, p.carer_status, p.access_needs, pc.latitude, pc.longitude,
                (SELECT COUNT(*) FROM contacts c WHERE c.pcn_id = e.pcn_id AND c.episode_id = e.id AND NOT c.did_not_attend) AS attended,
                (SELECT COUNT(*) FROM contacts c WHERE c.pcn_id = e.pcn_id AND c.episode_id = e.id AND c.did_not_attend) AS missed
             {EPISODES} LEFT JOIN postcodes pc ON pc.postcode = p.postcode
             WHERE {SCOPE} AND e.referred_at < $5 AND e.id IN ({ALIVE})
             ORDER BY e.id"
        ))
        .bind(scope.to)
        .bind(alive_from)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?
        .iter()
        .map(episode_fact)
        .collect::<Result<Vec<_>>>()?;

        // Counted here rather than read row by row: a PCN's year is over ten thousand
        // contacts. Without filters the count is a range of the `contacts_at` index alone
        // (a contact's PCN is its episode's); with them, each contact's episode, referral
        // and person are joined to filter by.
        let contacts = if !needs.contacts {
            Vec::new()
        } else {
            let unfiltered =
                scope.practice.is_none() && scope.link_worker.is_none() && scope.source.is_none();
            let rows = if unfiltered {
                sqlx::query(
                    "SELECT contact_type, did_not_attend, COUNT(*) AS n FROM contacts
                     WHERE pcn_id = $1 AND at >= $2 AND at < $3
                     GROUP BY contact_type, did_not_attend
                     ORDER BY contact_type, did_not_attend",
                )
                .bind(pcn)
                .bind(scope.from)
                .bind(scope.to)
                .fetch_all(&mut *tx)
                .await
            } else {
                scoped!(&format!(
                    "SELECT c.contact_type, c.did_not_attend, COUNT(*) AS n
                     FROM contacts c JOIN episodes e ON e.id = c.episode_id
                     JOIN referrals r ON r.id = e.referral_id JOIN people p ON p.id = e.person_id
                     WHERE {SCOPE} AND c.pcn_id = $1 AND c.at >= $5 AND c.at < $6
                     GROUP BY c.contact_type, c.did_not_attend
                     ORDER BY c.contact_type, c.did_not_attend"
                ))
                .bind(scope.from)
                .bind(scope.to)
                .fetch_all(&mut *tx)
                .await
            };
            rows.map_err(backend)?
                .iter()
                .map(|r| {
                    Ok(ContactCount {
                        contact_type: r.try_get("contact_type").map_err(backend)?,
                        did_not_attend: r.try_get("did_not_attend").map_err(backend)?,
                        count: r.try_get("n").map_err(backend)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?
        };

        let connections = if needs.connections {
            scoped!(&format!(
                "SELECT k.episode_id, k.service_id, k.kind, k.status, k.reason, k.created_at, k.answered_at
                 FROM connections k JOIN episodes e ON e.id = k.episode_id
                 JOIN referrals r ON r.id = e.referral_id JOIN people p ON p.id = e.person_id
                 WHERE {SCOPE} AND k.pcn_id = $1 AND k.created_at >= $5 AND k.created_at < $6 ORDER BY k.id"
            ))
            .bind(scope.from)
            .bind(scope.to)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?
            .iter()
            .map(|r| {
                let reason: Option<String> = r.try_get("reason").map_err(backend)?;
                Ok(ConnectionFact {
                    episode_id: r.try_get("episode_id").map_err(backend)?,
                    service_id: r.try_get("service_id").map_err(backend)?,
                    kind: r.try_get("kind").map_err(backend)?,
                    status: r.try_get("status").map_err(backend)?,
                    reason: reason.filter(|s| !s.is_empty()),
                    created_at: r.try_get("created_at").map_err(backend)?,
                    answered_at: r.try_get("answered_at").map_err(backend)?,
                })
            })
            .collect::<Result<Vec<_>>>()?
        } else {
            Vec::new()
        };

        let records = if needs.records {
            scoped!(&format!(
                "SELECT x.episode_id, x.kind, x.body, x.created_at
                 FROM episode_records x JOIN episodes e ON e.id = x.episode_id
                 JOIN referrals r ON r.id = e.referral_id JOIN people p ON p.id = e.person_id
                 WHERE {SCOPE} AND x.pcn_id = $1 AND (
                     (x.kind = 'measure' AND e.referred_at < $5
                        AND (e.closed_at IS NULL OR e.closed_at >= $6))
                     OR (x.kind = 'health_use' AND EXISTS (
                        SELECT 1 FROM episode_records h WHERE h.episode_id = e.id
                          AND h.kind = 'health_use' AND h.created_at >= $7 AND h.created_at < $5))
                     OR (x.kind = 'plan' AND x.created_at >= $7 AND x.created_at < $5))
                 ORDER BY x.created_at, x.id"
            ))
            .bind(scope.to)
            .bind(alive_from)
            .bind(scope.from)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?
            .iter()
            .map(|r| {
                Ok(RecordFact {
                    episode_id: r.try_get("episode_id").map_err(backend)?,
                    kind: r.try_get("kind").map_err(backend)?,
                    body: r.try_get("body").map_err(backend)?,
                    created_at: r.try_get("created_at").map_err(backend)?,
                })
            })
            .collect::<Result<Vec<_>>>()?
        } else {
            Vec::new()
        };

        let coding = if needs.coding {
            scoped!(&format!(
                "SELECT x.episode_id, x.practice_id, x.concept_id, x.status, x.queued_at
                 FROM coding_entries x JOIN episodes e ON e.id = x.episode_id
                 JOIN referrals r ON r.id = e.referral_id JOIN people p ON p.id = e.person_id
                 WHERE {SCOPE} AND x.pcn_id = $1 AND x.queued_at >= $5 AND x.queued_at < $6 ORDER BY x.id"
            ))
            .bind(scope.from)
            .bind(scope.to)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?
            .iter()
            .map(|r| {
                let status: String = r.try_get("status").map_err(backend)?;
                Ok(CodingFact {
                    episode_id: r.try_get("episode_id").map_err(backend)?,
                    practice_id: r.try_get("practice_id").map_err(backend)?,
                    concept_id: r.try_get("concept_id").map_err(backend)?,
                    recorded: status == "recorded",
                    queued_at: r.try_get("queued_at").map_err(backend)?,
                })
            })
            .collect::<Result<Vec<_>>>()?
        } else {
            Vec::new()
        };

        let care_home = if needs.care_home {
            sqlx::query(
                "SELECT kind, status, link_worker_id FROM care_home_tasks
                 WHERE pcn_id = $1 AND (CAST($2 AS BIGINT) IS NULL OR link_worker_id = $2)
                   AND requested_on >= $3 AND requested_on < $4",
            )
            .bind(pcn)
            .bind(scope.link_worker)
            .bind(scope.from.date_naive())
            .bind(scope.to.date_naive())
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?
            .iter()
            .map(|r| {
                Ok(CareHomeFact {
                    kind: r.try_get("kind").map_err(backend)?,
                    status: r.try_get("status").map_err(backend)?,
                    link_worker_id: r.try_get("link_worker_id").map_err(backend)?,
                })
            })
            .collect::<Result<Vec<_>>>()?
        } else {
            Vec::new()
        };

        tx.commit().await.map_err(backend)?;
        Ok(ReportFacts {
            episodes,
            contacts,
            connections,
            records,
            coding,
            care_home,
        })
    }
}
