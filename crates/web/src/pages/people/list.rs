//! The people list and search.

use super::*;

#[derive(Template)]
#[template(path = "people_list.html")]
pub(super) struct ListPage {
    ctx: PageCtx,
    fields: Vec<Field>,
    searched: bool,
    results: Vec<PersonRow>,
    problem: Option<String>,
}

pub(super) struct PersonRow {
    id: i64,
    name: String,
    dob: String,
    nhs: String,
    postcode: String,
}

#[derive(serde::Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    name: String,
    #[serde(default)]
    nhs_number: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    postcode: String,
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_read_people(), "people.search")
        .await?;
    let pcn = auth.pcn()?;
    let mut problem = None;
    let mut query = PersonQuery {
        limit: 100,
        ..Default::default()
    };
    if !q.name.trim().is_empty() {
        query.name = Some(q.name.trim().chars().take(100).collect());
    }
    if !q.nhs_number.trim().is_empty() {
        match domain::NhsNumber::parse(&q.nhs_number) {
            Ok(n) => query.nhs_number = Some(n.as_str().into()),
            Err(e) => problem = Some(e.to_string()),
        }
    }
    if !q.date_of_birth.trim().is_empty() {
        match domain::person::parse_date(&q.date_of_birth) {
            Some(d) => query.date_of_birth = Some(d),
            None => problem = Some("Date of birth must be a real date, like 1958-03-27".into()),
        }
    }
    if !q.postcode.trim().is_empty() {
        query.postcode = Some(q.postcode.trim().chars().take(10).collect());
    }
    let searched = query.name.is_some()
        || query.nhs_number.is_some()
        || query.date_of_birth.is_some()
        || query.postcode.is_some();
    let mut results = Vec::new();
    if searched && problem.is_none() {
        let found = state.store.search_people(pcn, &query).await?;
        let shown: Vec<(i64, i64)> = found.iter().map(|p| (pcn, p.id)).collect();
        auth.audit_shown(
            &state,
            "person.search",
            &shown,
            &format!("{} results", found.len()),
        )
        .await?;
        results = found
            .iter()
            .map(|p| PersonRow {
                id: p.id,
                name: format!(
                    "{}, {}",
                    p.details.family_name.to_uppercase(),
                    p.details.given_name
                ),
                dob: date(p.details.date_of_birth),
                nhs: p
                    .details
                    .nhs_number
                    .as_ref()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "—".into()),
                postcode: p
                    .details
                    .postcode
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "—".into()),
            })
            .collect();
    }
    let fields = vec![
        Field::new("text", "name", "Name")
            .value(&q.name)
            .width("20"),
        Field::new("text", "nhs_number", "NHS number")
            .value(&q.nhs_number)
            .width("10"),
        Field::new("date", "date_of_birth", "Date of birth").value(&q.date_of_birth),
        Field::new("text", "postcode", "Postcode")
            .hint("Full postcode or the first part, like LS6")
            .value(&q.postcode)
            .width("10"),
    ];
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(views::render(
        status,
        &ListPage {
            ctx: PageCtx::new(Some(&auth), "Find a person", "/people"),
            fields,
            searched,
            results,
            problem,
        },
    ))
}
