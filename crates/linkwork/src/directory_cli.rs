//! `linkwork import …`, `linkwork export oruk` and `linkwork bench search`.

use anyhow::{bail, Context, Result};
use directory::{Directory, Listing, Parsed, SearchQuery};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::sync::Arc;
use storage::{Actor, Storage};

fn bar(len: u64, what: &str) -> ProgressBar {
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template(&format!("  {what} {{bar:40}} {{pos}}/{{len}} {{eta}}"))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b
}

fn report(parsed: &Parsed) {
    for p in &parsed.problems {
        eprintln!("  {p}");
    }
    if !parsed.problems.is_empty() {
        eprintln!(
            "{} problem(s); {} record(s) skipped, the rest imported.",
            parsed.problems.len(),
            parsed.skipped()
        );
    }
}

/// Reads an ORUK feed from a file, or pages through a live ORUK API at a URL
/// (`/services?page=N`, then `/services/{id}` for each service's full record).
pub async fn import_oruk(store: Arc<dyn Storage>, source: &str) -> Result<()> {
    let parsed = if source.starts_with("http://") || source.starts_with("https://") {
        fetch_api(source).await?
    } else {
        let bytes = std::fs::read(source).with_context(|| format!("cannot read {source}"))?;
        directory::parse_json(&bytes).map_err(|m| anyhow::anyhow!("{source} is {m}"))?
    };
    let dir = Directory::open(store, None).await?;
    report(&parsed);
    let counts = dir
        .import(
            &parsed,
            source,
            &Listing::default(),
            &Actor::system("cli import"),
        )
        .await?;
    println!(
        "Imported {source}: {} services added, {} updated, {} organisations, {} taxonomy terms.",
        counts.created,
        counts.updated,
        parsed
            .organizations
            .iter()
            .map(|o| &o.id)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        parsed
            .terms
            .iter()
            .map(|t| &t.id)
            .collect::<std::collections::HashSet<_>>()
            .len()
    );
    Ok(())
}

async fn fetch_api(base: &str) -> Result<Parsed> {
    let base = base.trim_end_matches('/').trim_end_matches("/services");
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()?;
    let get = |url: String| {
        let http = http.clone();
        async move {
            let res = http
                .get(&url)
                .send()
                .await
                .with_context(|| format!("cannot fetch {url}"))?;
            if !res.status().is_success() {
                bail!("{url} answered {}", res.status());
            }
            let bytes = res.bytes().await?;
            directory::parse_json(&bytes).map_err(|m| anyhow::anyhow!("{url} is {m}"))
        }
    };
    let mut all = Parsed::default();
    let first = get(format!("{base}/services?page=1&per_page=100")).await?;
    let pages = first.page.map(|p| p.1).unwrap_or(1).min(10_000);
    let b = bar(pages, "reading pages");
    b.inc(1);
    all.merge(first);
    for page in 2..=pages {
        all.merge(get(format!("{base}/services?page={page}&per_page=100")).await?);
        b.inc(1);
    }
    b.finish_and_clear();
    // List pages carry one-to-one fields only: fetch each full record.
    let ids: Vec<String> = std::mem::take(&mut all.summaries);
    let mut full = Parsed {
        problems: std::mem::take(&mut all.problems),
        ..Default::default()
    };
    let b = bar(ids.len() as u64, "reading services");
    for id in &ids {
        match get(format!("{base}/services/{id}")).await {
            Ok(p) => full.merge(p),
            Err(e) => full.problems.push(directory::Problem {
                record: id.clone(),
                field: String::new(),
                message: format!("{e:#}"),
                fatal: true,
            }),
        }
        b.inc(1);
    }
    b.finish_and_clear();
    for t in [get(format!("{base}/taxonomy_terms?per_page=500")).await] {
        match t {
            Ok(p) => full.terms.extend(p.terms),
            Err(e) => eprintln!("  taxonomy terms not read: {e:#}"),
        }
    }
    Ok(full)
}

pub async fn import_csv(store: Arc<dyn Storage>, path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let p = directory::csv_import::parse_csv(&bytes)
        .map_err(|m| anyhow::anyhow!("{}: {m}", path.display()))?;
    report(&p.parsed);
    let dir = Directory::open(store, None).await?;
    let counts = directory::import_csv(
        &dir,
        &p.parsed,
        &p.listings,
        Some(&p.columns),
        &path.display().to_string(),
        &Actor::system("cli import"),
    )
    .await?;
    println!(
        "Imported {}: {} services added, {} updated.",
        path.display(),
        counts.created,
        counts.updated
    );
    Ok(())
}

/// Reads `postcode,latitude,longitude` rows (a header row is allowed), e.g. from the ONS
/// Postcode Directory (columns pcds, lat, long).
pub async fn import_postcodes(store: Arc<dyn Storage>, path: &Path) -> Result<()> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(file);
    let mut rows = vec![];
    let mut bad = 0u64;
    let b = ProgressBar::new_spinner();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.with_context(|| format!("line {}", i + 1))?;
        let (Some(pc), Some(lat), Some(lon)) = (rec.get(0), rec.get(1), rec.get(2)) else {
            bad += 1;
            continue;
        };
        let (Ok(pc), Ok(lat), Ok(lon)) = (
            domain::Postcode::parse(pc),
            lat.trim().parse::<f64>(),
            lon.trim().parse::<f64>(),
        ) else {
            if i > 0 {
                bad += 1;
            }
            continue;
        };
        if !(49.0..=61.0).contains(&lat) || !(-9.0..=2.5).contains(&lon) {
            bad += 1;
            continue;
        }
        rows.push((pc.to_string(), lat, lon));
        if rows.len() % 50_000 == 0 {
            b.set_message(format!("{} postcodes read", rows.len()));
            b.tick();
        }
    }
    b.finish_and_clear();
    let n = store.import_postcodes(&rows).await?;
    println!(
        "Imported {n} postcodes from {}{}.",
        path.display(),
        if bad > 0 {
            format!(" ({bad} lines skipped: not a UK postcode with UK coordinates)")
        } else {
            String::new()
        }
    );
    Ok(())
}

pub async fn export_oruk(store: Arc<dyn Storage>, out: Option<&Path>) -> Result<()> {
    let dir = Directory::open(store, None).await?;
    let feed = directory::export::feed(&dir.all_entries().await?);
    let json = serde_json::to_string_pretty(&feed)?;
    match out {
        Some(p) => {
            std::fs::write(p, json).with_context(|| format!("cannot write {}", p.display()))?;
            eprintln!("Wrote {} services to {}", feed.total_items, p.display());
        }
        None => println!("{json}"),
    }
    Ok(())
}

/// Generates a directory of `n` synthetic services in a scratch database, then times the
/// index build and typical searches. Prints figures; asserts nothing.
pub async fn bench_search(n: usize, queries: usize) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let store =
        crate::open_storage(&crate::config::sqlite_url(&tmp.path().join("bench.db")), 1).await?;
    println!("Generating {n} synthetic services …");
    let started = std::time::Instant::now();
    crate::demo_directory::generate(&store, n).await?;
    println!(
        "  generated and stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = std::time::Instant::now();
    let dir = Directory::open(store.clone(), Some(&tmp.path().join("index"))).await?;
    let build = started.elapsed();
    println!(
        "Index build (load {} services, index text, classify, read facts): {:.2} s",
        dir.index.len(),
        build.as_secs_f64()
    );
    let entries = dir.all_entries().await?;
    let started = std::time::Instant::now();
    let v = directory::vocabulary::Vocabulary::builtin();
    let mut tags = 0;
    for e in &entries {
        let names: Vec<directory::classify::TermOf> = e
            .service
            .attributes
            .iter()
            .filter_map(|a| a.taxonomy_term.as_ref().map(|t| (t.name.as_str(), None)))
            .collect();
        tags += directory::classify::classify(v, &e.service, &names, &e.categories(), "").len();
        let located = e
            .service
            .service_at_locations
            .iter()
            .any(|s| s.location.as_ref().is_some_and(|l| l.latitude.is_some()));
        std::hint::black_box(directory::eligibility::read(&e.service, located));
    }
    println!(
        "Classification alone ({} services, {tags} concept tags, facts read from words): {:.2} s",
        entries.len(),
        started.elapsed().as_secs_f64()
    );
    let near = Some((53.8210, -1.5700));
    let mixes: Vec<(&str, SearchQuery)> = vec![
        (
            "text 'walking group'",
            SearchQuery {
                text: "walking group".into(),
                ..Default::default()
            },
        ),
        (
            "typo 'singng'",
            SearchQuery {
                text: "singng".into(),
                ..Default::default()
            },
        ),
        (
            "text + near + 5 miles + free + Tuesday + age 70",
            SearchQuery {
                text: "walking".into(),
                near,
                within_m: Some(8046.0),
                free_only: true,
                day: Some(domain::Weekday::Tu),
                age: Some(70.0),
                ..Default::default()
            },
        ),
        (
            // An everyday phrase read as a concept: the rest of the words are a second text
            // query.
            "everyday phrase 'skint, online slots, need help'",
            SearchQuery {
                text: "skint, online slots, need help".into(),
                near,
                ..Default::default()
            },
        ),
        (
            "category + nearest first",
            SearchQuery {
                categories: vec![domain::Category::BenefitsDebt],
                near,
                sort: directory::Sort::Distance,
                ..Default::default()
            },
        ),
    ];
    println!(
        "{:<50} {:>9} {:>9} {:>9} {:>8}",
        "query", "p50 ms", "p99 ms", "max ms", "results"
    );
    for (label, q) in mixes {
        timed(label, queries, || Ok(dir.search(&q)?.len()))?;
    }
    let profile = directory::MatchProfile {
        needs: vec![(domain::Need::Loneliness, 4), (domain::Need::Financial, 3)],
        interest_words: vec!["gardening".into(), "singing in a choir".into()],
        what_matters: "Since my wife died the house is too quiet and money is tight".into(),
        age: Some(72.0),
        near,
        max_distance_m: 10_000.0,
        access: vec![domain::AccessFeature::StepFree],
        limit: 25,
        ..Default::default()
    };
    // The same person, and someone whose preferred language is Polish (about 750 of the
    // 20,000 generated services list it): every service is read for their language.
    let polish = directory::MatchProfile {
        language: Some("pl".into()),
        ..profile.clone()
    };
    for (label, p) in [
        ("matching one person (needs, words, step-free)", &profile),
        ("matching one person whose language is Polish", &polish),
    ] {
        timed(label, queries, || Ok(dir.index.match_services(p).len()))?;
    }
    // The match page's default distance for someone who has not said how far they travel.
    if let Some(at) = near {
        timed(
            "what is local to them (match page default)",
            queries,
            || {
                Ok(dir
                    .index
                    .local_reach_m(at)
                    .map_or(0, |m| m.round() as usize))
            },
        )?;
    }
    Ok(())
}

/// Runs `run` `queries` times and prints one row: p50, p99 and max in ms, and how many
/// results the last run gave.
fn timed(label: &str, queries: usize, mut run: impl FnMut() -> Result<usize>) -> Result<()> {
    let mut times = Vec::with_capacity(queries);
    let mut results = 0;
    for _ in 0..queries.max(1) {
        let t = std::time::Instant::now();
        results = run()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{label:<50} {:>9.3} {:>9.3} {:>9.3} {:>8}",
        pct(0.5),
        pct(0.99),
        pct(1.0),
        results
    );
    Ok(())
}
