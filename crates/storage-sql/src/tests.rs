//! Dialect facts the shared stores rely on, pinned against a real SQLite database.

use sqlx::{QueryBuilder, Row, Sqlite};

async fn memory() -> sqlx::SqlitePool {
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite")
}

/// The trap `store/mod.rs` warns of: SQLite's driver counts `$n` and bare `?` apart, so a
/// `?` after `$1` takes the first value again instead of the next one.
#[tokio::test]
async fn sqlite_counts_dollar_n_and_bare_question_marks_apart() {
    let pool = memory().await;
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT $1 AS a, ");
    q.push_bind("first").push(" AS b");
    let row = q
        .build()
        .bind("second")
        .fetch_one(&pool)
        .await
        .expect("query");
    let (a, b): (String, String) = (row.get("a"), row.get("b"));
    assert_eq!(
        (a.as_str(), b.as_str()),
        ("first", "first"),
        "push_bind's `?` after a hand-written $1 binds the first value again"
    );

    // The shape the stores use, `$n` throughout, binds each value where it is meant to go.
    let row = sqlx::query("SELECT $2 AS b, $1 AS a")
        .bind("first")
        .bind("second")
        .fetch_one(&pool)
        .await
        .expect("query");
    assert_eq!(row.get::<String, _>("a"), "first");
    assert_eq!(row.get::<String, _>("b"), "second");
}

/// The stores write `$n` only; a bare `?` placeholder would bind differently on SQLite (see
/// above) and not at all on PostgreSQL.
#[test]
fn the_stores_write_no_bare_question_mark_placeholders() {
    let stores = [
        ("api_clients", include_str!("store/api_clients.rs")),
        ("audit", include_str!("store/audit.rs")),
        ("care_homes", include_str!("store/care_homes.rs")),
        ("contacts", include_str!("store/contacts.rs")),
        ("database", include_str!("store/database.rs")),
        ("directory", include_str!("store/directory.rs")),
        ("episodes", include_str!("store/episodes.rs")),
        ("interop", include_str!("store/interop.rs")),
        ("coding", include_str!("store/coding.rs")),
        ("connections", include_str!("store/connections.rs")),
        ("records", include_str!("store/records.rs")),
        ("orgs", include_str!("store/orgs.rs")),
        ("ownership", include_str!("store/ownership.rs")),
        ("people", include_str!("store/people.rs")),
        ("reports", include_str!("store/reports.rs")),
        ("rows", include_str!("store/rows.rs")),
        ("supervision", include_str!("store/supervision.rs")),
        ("users", include_str!("store/users.rs")),
        ("workforce", include_str!("store/workforce.rs")),
    ];
    for (name, source) in stores {
        for literal in string_literals(source) {
            let bare = literal.char_indices().any(|(i, c)| {
                c == '?'
                    && !literal[i + 1..].starts_with(|d: char| d.is_ascii_digit())
                    && literal[..i].trim_end().ends_with(['=', '(', ',', '>', '<'])
            });
            assert!(
                !bare,
                "store/{name}.rs: a bare `?` placeholder in {literal:?}"
            );
        }
    }
}

/// The contents of the double-quoted string literals in Rust source (no raw strings are used
/// for SQL in the stores).
fn string_literals(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = source.chars().peekable();
    let mut current: Option<String> = None;
    while let Some(c) = chars.next() {
        match (&mut current, c) {
            (None, '\'') => {
                // A char literal such as '"': skip it whole.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("\\") {
                    chars.nth(2);
                } else if rest.chars().nth(1) == Some('\'') {
                    chars.nth(1);
                }
            }
            (None, '"') => current = Some(String::new()),
            (None, _) => {}
            (Some(s), '\\') => {
                if let Some(next) = chars.next() {
                    s.push('\\');
                    s.push(next);
                }
            }
            (Some(_), '"') => out.extend(current.take()),
            (Some(s), c) => s.push(c),
        }
    }
    out
}
