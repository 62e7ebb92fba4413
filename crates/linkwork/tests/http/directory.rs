//! The directory over HTTP: the ORUK API checked against the ORUK 3.0 schemas (with paging
//! edges and every filter), web imports, search pages and partner isolation.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::path::PathBuf;

fn standards() -> PathBuf {
    let p = std::env::var_os("LINKWORK_ORUK_STANDARDS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/standards/oruk-3.0")
        });
    assert!(
        p.join("schema").is_dir(),
        "ORUK standards not found at {} (set LINKWORK_ORUK_STANDARDS)",
        p.display()
    );
    p
}

fn schema(rel: &str) -> Value {
    serde_json::from_slice(&std::fs::read(standards().join(rel)).unwrap()).unwrap()
}

fn validator(mut s: Value, drop: &[&str]) -> jsonschema::Validator {
    if let Some(props) = s.get_mut("properties").and_then(Value::as_object_mut) {
        for d in drop {
            props.remove(*d);
        }
    }
    jsonschema::options()
        .should_validate_formats(true)
        .build(&s)
        .expect("schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema: {errors:#?}\n{doc:#}"
    );
}

fn assert_no_nulls(v: &Value, path: &str) {
    match v {
        Value::Null => panic!("null at {path}: optional empty fields must be omitted"),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| assert_no_nulls(x, &format!("{path}[{i}]"))),
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| assert_no_nulls(x, &format!("{path}.{k}"))),
        _ => {}
    }
}

/// The paging envelope of the openapi `Page` schema.
fn assert_page(v: &Value) {
    for k in ["total_items", "total_pages", "page_number", "size"] {
        assert!(v[k].is_u64(), "{k} must be an integer: {v}");
    }
    for k in ["first_page", "last_page", "empty"] {
        assert!(v[k].is_boolean(), "{k} must be a boolean: {v}");
    }
    let contents = v["contents"].as_array().expect("contents is a list");
    assert_eq!(v["size"].as_u64().unwrap() as usize, contents.len());
    assert_eq!(v["empty"].as_bool().unwrap(), contents.is_empty());
}

const CSV: &str = "service_name,organization_name,description,postcode,latitude,longitude,days,opens_at,closes_at,cost,categories,minimum_age,maximum_age,referral_mode,public\n\
Riverside Walk,Green Steps,Gentle walks by the river,LS6 2AB,53.8200,-1.5700,TU,10:00,11:30,free,walking,50,,referral,yes\n\
Evening Choir,Sing Out,A friendly community choir,LS7 3CD,53.8300,-1.5400,TH,18:30,20:00,3.50,music,16,90,signpost,yes\n\
Private Pilot Group,Green Steps,Not yet published,LS6 2AB,53.8200,-1.5700,WE,09:00,10:00,free,gardening,,,signpost,no\n";

/// Loads the ORUK examples and a small spreadsheet through the manager's import page.
pub(crate) async fn load(app: &TestApp) -> Browser {
    app.store
        .import_postcodes(&[
            ("LS6 2AB".into(), 53.8201, -1.5702),
            ("LS17 9ZZ".into(), 53.90, -1.50),
        ])
        .await
        .unwrap();
    let mut m = signed_in(app, "manager").await;
    m.get("/directory/import").await;
    for f in [
        "service_full.json",
        "organization_full.json",
        "service_at_location_full.json",
        "taxonomy.json",
    ] {
        let bytes = std::fs::read(standards().join("examples").join(f)).unwrap();
        let page = m.upload("/directory/import", f, &bytes).await;
        assert_eq!(page.status, StatusCode::OK, "{f}: {}", page.body);
        assert!(page.body.contains("Imported"), "{}", page.body);
    }
    let page = m
        .upload("/directory/import", "services.csv", CSV.as_bytes())
        .await;
    assert!(page.body.contains("3 services added"), "{}", page.body);
    m
}

async fn get_json(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let res = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    (status, headers, v)
}

pub async fn oruk_api_is_schema_valid(app: &TestApp) {
    load(app).await;
    let service_v = validator(schema("schema/compiled/service.json"), &[]);
    let service_list_v = validator(schema("schema/compiled/service_list.json"), &[]);
    let sal_v = validator(schema("schema/compiled/service_at_location.json"), &[]);
    let sal_list_v = validator(schema("schema/compiled/service_at_location_list.json"), &[]);
    let term_v = validator(schema("schema/taxonomy_term.json"), &[]);
    let taxonomy_v = validator(schema("schema/taxonomy.json"), &["taxonomy_terms"]);

    let (status, headers, meta) = get_json(app, "/oruk/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["access-control-allow-origin"], "*");
    for k in ["version", "profile", "openapi_url"] {
        assert!(meta[k].is_string(), "{k} missing from {meta}");
    }

    let (status, headers, page) = get_json(app, "/oruk/services?per_page=100").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert_page(&page);
    assert_no_nulls(&page, "services");
    let items = page["contents"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(
        names.contains(&"Community Counselling") && names.contains(&"Riverside Walk"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"Private Pilot Group"),
        "unpublished services stay out of the feed"
    );
    for item in items {
        assert_valid(&service_list_v, item, "a /services item");
        let id = item["id"].as_str().unwrap();
        let (status, headers, full) = get_json(app, &format!("/oruk/services/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert_no_nulls(&full, id);
        assert_valid(&service_v, &full, "/services/{id}");
    }

    // Every list with a trailing slash (the validator's legacy tests) lists the same.
    for list in [
        "services",
        "service_at_locations",
        "taxonomies",
        "taxonomy_terms",
        "organizations",
    ] {
        let (_, _, plain) = get_json(app, &format!("/oruk/{list}?per_page=100")).await;
        let (status, _, slash) = get_json(app, &format!("/oruk/{list}/?per_page=100")).await;
        assert_eq!(status, StatusCode::OK, "/oruk/{list}/");
        assert_eq!(slash["contents"], plain["contents"], "/oruk/{list}/");
    }

    // Organisations: only those with a published service, each with its services.
    let org_v = validator(schema("schema/compiled/organization.json"), &[]);
    let (status, _, orgs) = get_json(app, "/oruk/organizations?per_page=100").await;
    assert_eq!(status, StatusCode::OK);
    assert_page(&orgs);
    assert_no_nulls(&orgs, "organizations");
    let orgs = orgs["contents"].as_array().unwrap();
    assert!(!orgs.is_empty());
    let mut listed = 0;
    for o in orgs {
        assert_valid(&org_v, o, "an /organizations item");
        let id = o["id"].as_str().unwrap();
        let (status, _, full) = get_json(app, &format!("/oruk/organizations/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_no_nulls(&full, id);
        assert_valid(&org_v, &full, "/organizations/{id}");
        let services = full["services"].as_array().unwrap();
        assert!(!services.is_empty(), "{full}");
        for s in services {
            assert!(
                s["name"].as_str() != Some("Private Pilot Group"),
                "unpublished services stay out of an organisation"
            );
        }
        listed += services.len();
    }
    assert_eq!(
        listed,
        items.len(),
        "every published service under its organisation"
    );
    let (status, _, _) = get_json(
        app,
        "/oruk/organizations/00000000-0000-4000-8000-000000000000",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, _, sals) = get_json(app, "/oruk/service_at_locations?per_page=100").await;
    assert_page(&sals);
    assert!(!sals["contents"].as_array().unwrap().is_empty());
    for item in sals["contents"].as_array().unwrap() {
        assert_valid(&sal_list_v, item, "a /service_at_locations item");
        let id = item["id"].as_str().unwrap();
        let (status, _, full) = get_json(app, &format!("/oruk/service_at_locations/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_no_nulls(&full, id);
        assert_valid(&sal_v, &full, "/service_at_locations/{id}");
    }

    let (_, _, taxonomies) = get_json(app, "/oruk/taxonomies").await;
    assert_page(&taxonomies);
    let ids: Vec<String> = taxonomies["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        ids.len() >= 2,
        "the example taxonomy and Linkwork's categories: {ids:?}"
    );
    for t in taxonomies["contents"].as_array().unwrap() {
        assert_valid(&taxonomy_v, t, "a /taxonomies item");
    }
    for id in &ids {
        let (status, _, t) = get_json(app, &format!("/oruk/taxonomies/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_valid(&taxonomy_v, &t, "/taxonomies/{id}");
        for term in t["taxonomy_terms"].as_array().into_iter().flatten() {
            assert_valid(&term_v, term, "a taxonomy's term");
        }
    }
    // `linkwork export oruk` writes the same records: every exported service passes too.
    let dir = directory::Directory::open(app.store.clone(), None)
        .await
        .unwrap();
    let feed =
        serde_json::to_value(directory::export::feed(&dir.all_entries().await.unwrap())).unwrap();
    assert_page(&feed);
    assert_no_nulls(&feed, "export");
    assert_eq!(feed["total_items"], page["total_items"]);
    for item in feed["contents"].as_array().unwrap() {
        assert_valid(&service_v, item, "an exported service");
    }
    let (_, _, terms) = get_json(app, "/oruk/taxonomy_terms?per_page=500").await;
    assert_page(&terms);
    assert!(terms["total_items"].as_u64().unwrap() >= 21);
    for t in terms["contents"].as_array().unwrap() {
        assert_valid(&term_v, t, "a /taxonomy_terms item");
        let (status, _, one) = get_json(
            app,
            &format!("/oruk/taxonomy_terms/{}", t["id"].as_str().unwrap()),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_valid(&term_v, &one, "/taxonomy_terms/{id}");
    }
}

pub async fn oruk_paging_and_filters(app: &TestApp) {
    load(app).await;
    // Paging edges.
    let (_, _, all) = get_json(app, "/oruk/services").await;
    let total = all["total_items"].as_u64().unwrap();
    assert_eq!(
        total, 3,
        "two spreadsheet services and the ORUK example; the unpublished one is left out"
    );
    let (s, _, p2) = get_json(app, "/oruk/services?per_page=2&page=2").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (
            p2["page_number"].as_u64(),
            p2["size"].as_u64(),
            p2["first_page"].as_bool(),
            p2["last_page"].as_bool()
        ),
        (Some(2), Some(1), Some(false), Some(true))
    );
    assert_eq!(p2["total_pages"].as_u64().unwrap(), 2);
    let (s, _, beyond) = get_json(app, "/oruk/services?page=99").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (beyond["empty"].as_bool(), beyond["size"].as_u64()),
        (Some(true), Some(0))
    );
    let (_, _, huge) = get_json(app, "/oruk/services?per_page=1000000").await;
    assert_eq!(
        huge["size"].as_u64(),
        Some(total),
        "clamped to 500, not refused"
    );
    for bad in [
        "per_page=0",
        "page=0",
        "page=two",
        "minimum_age=old",
        "start_time=25:00",
        "day=Funday",
        "postcode=NOTAPOSTCODE",
    ] {
        let path = if bad.starts_with("postcode") {
            format!("/oruk/service_at_locations?{bad}")
        } else {
            format!("/oruk/services?{bad}")
        };
        let (s, h, body) = get_json(app, &path).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(h["access-control-allow-origin"], "*");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{bad}: {body}"
        );
    }
    let (s, _, body) = get_json(
        app,
        "/oruk/service_at_locations?postcode=LS1%201AA&proximity=1000",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("not in this directory's postcode table"));
    let (s, h, _) = get_json(app, "/oruk/services/00000000-0000-4000-8000-000000000000").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(h["access-control-allow-origin"], "*");

    let names = |v: &Value| -> Vec<String> {
        v["contents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                s["name"]
                    .as_str()
                    .unwrap_or_else(|| s["service"]["name"].as_str().unwrap())
                    .to_string()
            })
            .collect()
    };
    // Each filter.
    let (_, _, v) = get_json(app, "/oruk/services?search=walkng").await;
    assert_eq!(names(&v), vec!["Riverside Walk"]);
    let (_, _, v) = get_json(app, "/oruk/services?day=TH").await;
    let n = names(&v);
    assert!(
        n.contains(&"Evening Choir".to_string())
            && n.contains(&"Community Counselling".to_string())
            && !n.contains(&"Riverside Walk".to_string()),
        "{n:?}"
    );
    let (_, _, v) = get_json(app, "/oruk/services?start_time=18:00").await;
    assert_eq!(names(&v), vec!["Evening Choir"]);
    let (_, _, v) = get_json(app, "/oruk/services?end_time=12:00").await;
    assert_eq!(names(&v), vec!["Riverside Walk"]);
    let (_, _, v) = get_json(app, "/oruk/services?minimum_age=40").await;
    assert_eq!(names(&v), vec!["Riverside Walk"]);
    let (_, _, v) = get_json(app, "/oruk/services?maximum_age=95").await;
    assert_eq!(names(&v), vec!["Evening Choir"]);
    let (_, _, v) = get_json(
        app,
        "/oruk/services?taxonomy_term_id=3f7b145d-84af-42d7-8fae-eaca714b02b2",
    )
    .await;
    assert_eq!(names(&v), vec!["Community Counselling"]);
    let music = domain::Category::Music.term_id();
    let (_, _, v) = get_json(app, &format!("/oruk/services?taxonomy_term_id={music}")).await;
    assert_eq!(names(&v), vec!["Evening Choir"]);
    let (_, _, v) = get_json(
        app,
        &format!(
            "/oruk/services?taxonomy_id={}",
            domain::CATEGORY_TAXONOMY_ID
        ),
    )
    .await;
    assert_eq!(v["total_items"].as_u64(), Some(2));
    // Distance: nearest first, within the radius, with distances.
    let (s, _, v) = get_json(
        app,
        "/oruk/service_at_locations?postcode=ls6%202ab&proximity=1000",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(names(&v), vec!["Riverside Walk"]);
    let (_, _, v) = get_json(app, "/oruk/service_at_locations?postcode=LS6%202AB").await;
    let d: Vec<u64> = v["contents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["distance"].as_u64())
        .collect();
    assert!(d.len() >= 2 && d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
}

pub async fn search_page_and_partner_isolation(app: &TestApp) {
    let mut m = load(app).await;
    // The link worker's search page: filters and distances.
    let mut lw = signed_in(app, "lw").await;
    let page = lw
        .get("/directory?q=walk&postcode=LS6+2AB&within=2&free=yes&day=TU&age=70")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Riverside Walk") && page.body.contains("miles"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Evening Choir"));
    let page = lw.get("/directory?q=choir&postcode=LS1+1AA").await;
    assert!(
        page.body.contains("We do not have a location for LS1 1AA"),
        "no postcode match is said, not failed"
    );
    assert!(page.body.contains("Evening Choir"));
    // A misspelt word is read as the vocabulary's, said so, with a way back to the words
    // as typed; a real word is not changed.
    let page = lw.get("/directory?q=chior").await;
    assert!(
        page.body
            .contains("Showing results for <strong>choir</strong>")
            && page.body.contains("Evening Choir"),
        "{}",
        page.body
    );
    assert!(page.body.contains("as_typed=yes"), "{}", page.body);
    let page = lw.get("/directory?q=chior&as_typed=yes").await;
    assert!(!page.body.contains("Showing results for"));
    let page = lw.get("/directory?q=rental").await;
    assert!(!page.body.contains("Showing results for"), "{}", page.body);
    // What no service is listed as is said, not "try fewer filters".
    let page = lw
        .get("/directory?q=sleeping+in+my+car+nowhere+to+go")
        .await;
    assert!(
        page.body
            .contains("No service in this directory is listed for <strong>homelessness</strong>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Try fewer filters"), "{}", page.body);
    let page = lw.get("/directory?age=old&from=25:99").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Enter an age in years")
            && page.body.contains("Enter a time like 09:30")
    );
    // Link workers cannot edit listings.
    let hits = app.store.dir_services_page(None, 100).await.unwrap();
    let walk = hits
        .iter()
        .find(|s| s.name == "Riverside Walk")
        .unwrap()
        .clone();
    let choir = hits
        .iter()
        .find(|s| s.name == "Evening Choir")
        .unwrap()
        .clone();
    assert_eq!(
        lw.get(&format!("/directory/services/{}/edit", walk.id))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The deployment operator links Green Steps to the partner's organisation; a PCN's
    // manager may not (every PCN shares the directory).
    let partner_org = app.store.list_partner_orgs().await.unwrap()[0].id;
    m.get("/directory/organizations").await;
    let org = walk.organization_id.clone().unwrap();
    let link = [("partner_org_id", partner_org.to_string())];
    let link: Vec<(&str, &str)> = link.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let path = format!("/directory/organizations/{org}/partner");
    assert_eq!(m.post(&path, &link).await.status, StatusCode::FORBIDDEN);
    let mut op = signed_in(app, "operator").await;
    op.get("/directory/organizations").await;
    let res = op.post(&path, &link).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    let mut p = signed_in(app, "partner").await;
    let home = p.get("/partner").await;
    assert!(
        home.body.contains("Riverside Walk") && !home.body.contains("Evening Choir"),
        "{}",
        home.body
    );
    // Own listing: edit works.
    let form = p
        .get(&format!("/directory/services/{}/edit", walk.id))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    let version = walk.version.to_string();
    let res = p
        .post(
            &format!("/directory/services/{}", walk.id),
            &[
                ("version", &version),
                ("name", "Riverside Walk"),
                ("description", "Gentle walks, now with tea"),
                ("s1_days", "Tuesday"),
                ("s1_opens", "10:00"),
                ("s1_closes", "11:30"),
                ("cost", "free"),
                ("referral_mode", "referral"),
                ("capacity", "waiting_list"),
                ("response_days", "10"),
                ("postcode", "LS6 2AB"),
                ("categories", "walking"),
                ("verified", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let shown = p.get(&format!("/directory/services/{}", walk.id)).await;
    assert!(shown.body.contains("now with tea") && shown.body.contains("Waiting list"));
    // The map position comes from the postcode: a partner has no latitude or longitude to
    // type (the manager's form shows them).
    let version = (walk.version + 1).to_string();
    let partner_form = p
        .get(&format!("/directory/services/{}/edit", walk.id))
        .await;
    assert!(!partner_form.body.contains("name=\"latitude\""));
    let form = m
        .get(&format!("/directory/services/{}/edit", walk.id))
        .await;
    let shown_lat = form
        .body
        .split("name=\"latitude\" type=\"text\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_string();
    let shown_lon = form
        .body
        .split("name=\"longitude\" type=\"text\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_string();
    assert!(!shown_lat.is_empty(), "a position was found from LS6 2AB");
    // Sessions every other week and once a month; a monthly one needs its week.
    let sessions = |week: &'static str| {
        vec![
            ("version", version.clone()),
            ("name", "Riverside Walk".to_string()),
            ("description", "Gentle walks, now with tea".to_string()),
            ("s1_days", "Tuesday".to_string()),
            ("s1_opens", "10:00".to_string()),
            ("s1_closes", "11:30".to_string()),
            ("s1_every", "fortnightly".to_string()),
            ("s2_days", "Thursday".to_string()),
            ("s2_opens", "14:00".to_string()),
            ("s2_closes", "15:00".to_string()),
            ("s2_every", "monthly".to_string()),
            ("s2_week", week.to_string()),
            ("cost", "free".to_string()),
            ("referral_mode", "referral".to_string()),
            ("capacity", "waiting_list".to_string()),
            ("response_days", "10".to_string()),
            // The position left as the form showed it, with a new postcode.
            ("postcode", "LS17 9ZZ".to_string()),
            ("latitude", shown_lat.clone()),
            ("longitude", shown_lon.clone()),
            ("categories", "walking".to_string()),
            ("verified", "yes".to_string()),
        ]
    };
    let no_week = sessions("");
    let no_week: Vec<(&str, &str)> = no_week.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = p
        .post(&format!("/directory/services/{}", walk.id), &no_week)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Choose which week of the month it runs"));
    let first = sessions("1");
    let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = p
        .post(&format!("/directory/services/{}", walk.id), &first)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let shown = p.get(&format!("/directory/services/{}", walk.id)).await;
    assert!(
        shown
            .body
            .contains("Tuesday (every other week), 10:00 to 11:30"),
        "{}",
        shown.body
    );
    assert!(shown
        .body
        .contains("First Thursday of the month, 14:00 to 15:00"));
    // Statuses in words, on the page and in the editor.
    assert!(shown
        .body
        .contains("<dd class=\"summary-list__value\">Running</dd>"));
    let form = m
        .get(&format!("/directory/services/{}/edit", walk.id))
        .await;
    assert!(
        !form.body.contains(&format!(
            "name=\"latitude\" type=\"text\" value=\"{shown_lat}\""
        )),
        "the new postcode moved the position"
    );
    assert!(form
        .body
        .contains("<option value=\"1\" selected>First week of the month"));
    assert!(form.body.contains(
        "<option value=\"temporarily closed\">Paused for now (temporarily closed)</option>"
    ));
    let walk = app
        .store
        .dir_services_page(None, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.id == walk.id)
        .unwrap();
    // Bad input: clear errors, nothing saved.
    let res = p
        .post(
            &format!("/directory/services/{}", walk.id),
            &[
                ("version", &walk.version.to_string()),
                ("name", ""),
                ("s1_days", "Funday"),
                ("s1_opens", "25:00"),
                ("cost", "paid"),
                ("cost_amount", "lots"),
                ("referral_mode", "referral"),
                ("capacity", "full"),
                ("response_days", "0"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    for msg in [
        "Enter the service name",
        "is not a day of the week",
        "Enter a 24-hour time",
        "Enter the charge in pounds",
        "from 1 to 365",
    ] {
        assert!(res.body.contains(msg), "{msg}");
    }
    let after = app.store.dir_service(&walk.id).await.unwrap().unwrap();
    assert!(
        after.listing.contains("waiting_list"),
        "the refused edit changed nothing"
    );
    // Another organisation's listing: refused on every route.
    for path in [format!("/directory/services/{}/edit", choir.id)] {
        assert_eq!(p.get(&path).await.status, StatusCode::FORBIDDEN);
    }
    let res = p
        .post(
            &format!("/directory/services/{}", choir.id),
            &[
                ("version", &choir.version.to_string()),
                ("name", "Hijacked"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = p
        .post(
            &format!("/directory/services/{}/capacity", choir.id),
            &[("capacity", "full")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(
        p.get("/directory").await.status,
        StatusCode::FORBIDDEN,
        "partners do not search the PCN's directory"
    );
    // And through the API.
    let (http, bearer) = api_as(app, "partner").await;
    let url = |id: &str| format!("{}/api/v1/directory/services/{id}", app.base);
    let res = http
        .patch(url(&choir.id))
        .header("authorization", &bearer)
        .json(&serde_json::json!({"capacity": "full", "version": choir.version}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let now = app.store.dir_service(&walk.id).await.unwrap().unwrap();
    let res = http
        .patch(url(&walk.id))
        .header("authorization", &bearer)
        .json(&serde_json::json!({"capacity": "full", "version": now.version}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = http
        .patch(url(&walk.id))
        .header("authorization", &bearer)
        .json(&serde_json::json!({"capacity": "full", "version": now.version}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT, "stale version refused");
    let choir_after = app.store.dir_service(&choir.id).await.unwrap().unwrap();
    assert_eq!(
        choir_after.version, choir.version,
        "the other organisation's listing is untouched"
    );
    // Retired services disappear from search and the feed.
    let shown = m.get(&format!("/directory/services/{}", choir.id)).await;
    assert_eq!(shown.status, StatusCode::OK);
    let res = m
        .post(
            &format!("/directory/services/{}/retire", choir.id),
            &[("version", &choir.version.to_string())],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = lw.get("/directory?q=choir").await;
    assert!(!page.body.contains("Evening Choir"));
    let (s, _, _) = get_json(app, &format!("/oruk/services/{}", choir.id)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn oruk_api_schema_valid_on_sqlite() {
    oruk_api_is_schema_valid(&spawn_app().await).await;
}

#[tokio::test]
async fn oruk_paging_and_filters_on_sqlite() {
    oruk_paging_and_filters(&spawn_app().await).await;
}

#[tokio::test]
async fn directory_pages_and_partner_isolation_on_sqlite() {
    search_page_and_partner_isolation(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oruk_api_schema_valid_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    oruk_api_is_schema_valid(&spawn_app_on(Engine::Postgres).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oruk_paging_and_filters_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    oruk_paging_and_filters(&spawn_app_on(Engine::Postgres).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_pages_and_partner_isolation_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    search_page_and_partner_isolation(&spawn_app_on(Engine::Postgres).await).await;
}
