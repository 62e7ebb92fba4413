//! Search and matching on a directory published by someone else: an ORUK feed under a
//! foreign taxonomy (and some services with none), imported through the ordinary import,
//! then searched in everyday words and matched to whole people, on both storage engines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use directory::matching::Filter;
use directory::{Directory, Listing, MatchProfile, SearchQuery};
use domain::person::Sex;
use domain::{AccessFeature, Need, TimeOfDay};
use serde_json::{json, Value};
use std::sync::Arc;
use storage::{Actor, Storage};

/// Home, and a town 50 km north.
const HOME: (f64, f64) = (51.500, -0.100);
const FAR: (f64, f64) = (51.950, -0.100);

fn id(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn term(name: &str, n: u32) -> Value {
    json!({
        "id": id(900 + n), "link_id": "", "link_type": "service",
        "taxonomy_term_id": id(800 + n),
        "taxonomy_term": {"id": id(800 + n), "name": name, "description": name,
            "taxonomy": "Elsewhere Council Categories", "taxonomy_id": id(799)}
    })
}

/// A service: (n, name, description, eligibility, foreign term, at, access words, status).
#[allow(clippy::too_many_arguments)]
fn service(
    n: u32,
    name: &str,
    description: &str,
    eligibility: Option<&str>,
    term_name: Option<(&str, u32)>,
    at: Option<(f64, f64)>,
    access: Option<&str>,
    status: &str,
) -> Value {
    let mut s = json!({
        "id": id(n), "name": name, "description": description, "status": status,
        "organization_id": id(1),
    });
    if let Some(e) = eligibility {
        s["eligibility_description"] = json!(e);
    }
    if let Some((t, k)) = term_name {
        let mut a = term(t, k);
        a["id"] = json!(id(1000 + n));
        a["link_id"] = json!(id(n));
        s["attributes"] = json!([a]);
    }
    match at {
        Some((lat, lon)) => {
            let mut loc = json!({"id": id(2000 + n), "location_type": "physical",
                "latitude": lat, "longitude": lon});
            if let Some(a) = access {
                loc["accessibility"] = json!([{"id": id(3000 + n), "description": a}]);
            }
            s["service_at_locations"] =
                json!([{"id": id(4000 + n), "location_id": id(2000 + n), "location": loc}]);
        }
        None => {
            s["service_areas"] = json!([{"id": id(5000 + n), "extent": "The whole borough (telephone)", "extent_type": "text"}]);
        }
    }
    s
}

fn feed() -> Vec<u8> {
    let near = |k: f64| (HOME.0 + k * 0.009, HOME.1);
    let services = vec![
        service(
            10,
            "Women's Safety Service",
            "Confidential support for anyone experiencing domestic abuse, and safety planning.",
            None,
            Some(("Safety at Home", 1)),
            Some(near(1.0)),
            None,
            "active",
        ),
        service(
            11,
            "Changing Behaviours",
            "A programme for men who have been abusive in their relationships and want to change.",
            Some("Men who have been abusive"),
            Some(("Safety at Home", 1)),
            Some(near(1.0)),
            None,
            "active",
        ),
        service(
            12,
            "Talk It Through",
            "Someone to listen if you are feeling low.",
            None,
            None,
            None,
            None,
            "active",
        ),
        service(
            13,
            "Sunday Lunch Club",
            "A hot lunch and a chat for people who would like company.",
            Some("Over 60s"),
            Some(("Socialising & Clubs", 2)),
            Some(near(2.0)),
            Some("First floor hall, no lift"),
            "active",
        ),
        service(
            14,
            "Sunday Lunch Club",
            "Our sister lunch club in the next town.",
            Some("Over 60s"),
            Some(("Socialising & Clubs", 2)),
            Some(FAR),
            None,
            "active",
        ),
        service(
            15,
            "Knit and Natter",
            "Knitting, crochet and a cuppa. Ground floor, level access.",
            None,
            Some(("Socialising & Clubs", 2)),
            Some(near(3.0)),
            Some("Step-free entrance"),
            "temporarily closed",
        ),
        service(
            16,
            "Recovery Café",
            "A friendly café run by people in recovery from drink or drugs.",
            None,
            Some(("Drink & Drugs", 3)),
            Some(near(1.5)),
            None,
            "active",
        ),
        service(
            17,
            "Quiz Night",
            "A weekly pub quiz at the Red Lion with a licensed bar.",
            None,
            Some(("Socialising & Clubs", 2)),
            Some(near(0.5)),
            None,
            "active",
        ),
        service(
            18,
            "Men's Shed",
            "Woodwork, fixing bikes and tea.",
            Some("Men aged 18 and over"),
            Some(("Socialising & Clubs", 2)),
            Some(near(1.0)),
            None,
            "active",
        ),
        service(
            19,
            "Memory Café",
            "A monthly café for people living with dementia and their carers.",
            Some("People with a diagnosis of dementia or memory problems"),
            Some(("Memory & Dementia", 4)),
            Some(near(1.0)),
            None,
            "active",
        ),
        service(
            20,
            "Friendship Calls",
            "A weekly friendly phone call from a volunteer for people who feel lonely.",
            None,
            None,
            None,
            None,
            "active",
        ),
        service(
            21,
            "Hillside Befriending",
            "Befriending visits for people who are isolated.",
            None,
            Some(("Socialising & Clubs", 2)),
            Some(near(15.0)),
            None,
            "active",
        ),
        service(
            22,
            "Stroke Club",
            "Friendship, a cuppa and gentle exercise for stroke survivors.",
            None,
            Some(("Socialising & Clubs", 2)),
            Some(near(0.3)),
            None,
            "active",
        ),
        service(
            23,
            "Stay and Play",
            "Songs, toys and a cuppa for little ones and their grown-ups.",
            None,
            Some(("Socialising & Clubs", 2)),
            Some(near(0.3)),
            None,
            "active",
        ),
    ];
    let mut services = services;
    // Services whose words say who they are for (matching_knows_who_a_service_is_for).
    for (n, name, description, eligibility) in [
        (
            40,
            "Dads and Kids Saturday Club",
            "A Saturday morning group for dads and male carers with children under 8: play and breakfast.",
            Some("Dads and male carers with children under 8"),
        ),
        (
            41,
            "Heart Health Exercise Class",
            "Long-term exercise class for people who have completed cardiac rehabilitation.",
            Some("People who have completed hospital cardiac rehab"),
        ),
        (
            42,
            "Riverside Youth Club",
            "Open youth club for young people aged 11–19: pool, music and a youth worker to talk to.",
            None,
        ),
        (
            43,
            "Carers' Coffee Morning",
            "A relaxed coffee morning for unpaid carers to meet others who understand.",
            Some("For carers"),
        ),
        (
            44,
            "BSL Level 1 Course",
            "Learn British Sign Language to Level 1 with a Deaf tutor.",
            None,
        ),
        (
            45,
            "English Conversation Club",
            "Practise speaking English over a cup of tea and make friends. Free.",
            None,
        ),
        (
            46,
            "Tenant Money Advice",
            "Free benefits and debt advice for Riverside Homes tenants.",
            Some("For tenants of Riverside Homes only"),
        ),
    ] {
        services.push(service(
            n,
            name,
            description,
            eligibility,
            None,
            Some(near(0.5)),
            None,
            "active",
        ));
    }
    // Stay and Play is for children up to 4 (with their grown-ups).
    services[13]["maximum_age"] = json!(4);
    // The lunch club meets on Sunday from 12 till 2.
    services[3]["schedules"] = json!([{"id": id(6013), "service_id": id(13), "freq": "WEEKLY",
        "byday": "SU", "opens_at": "12:00", "closes_at": "14:00"}]);
    let feed = json!([{"id": id(1), "name": "Elsewhere Community Network",
        "description": "A synthetic network.", "services": services}]);
    serde_json::to_vec(&feed).unwrap()
}

async fn directory(store: Arc<dyn Storage>) -> Directory {
    imported(store, &feed()).await
}

/// A directory holding `feed`, imported through the ordinary import.
/// A directory holding these services, published by one synthetic network.
async fn network(store: Arc<dyn Storage>, services: Vec<Value>) -> Directory {
    let feed = serde_json::to_vec(&json!([{"id": id(1), "name": "Elsewhere Community Network",
        "description": "A synthetic network.", "services": services}]))
    .unwrap();
    imported(store, &feed).await
}

async fn imported(store: Arc<dyn Storage>, feed: &[u8]) -> Directory {
    let dir = Directory::open(store, None).await.unwrap();
    let parsed = directory::parse_json(feed).unwrap();
    assert!(
        parsed.problems.iter().all(|p| !p.fatal),
        "{:?}",
        parsed.problems
    );
    dir.import(
        &parsed,
        "elsewhere",
        &Listing::default(),
        &Actor::system("test"),
    )
    .await
    .unwrap();
    dir
}

fn found(dir: &Directory, q: &SearchQuery) -> Vec<String> {
    dir.search(q).unwrap().into_iter().map(|h| h.id).collect()
}

fn words(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.into(),
        near: Some(HOME),
        ..Default::default()
    }
}

pub async fn everyday_words_find_a_foreign_directory(store: Arc<dyn Storage>) {
    let dir = directory(store).await;
    // Asked for what no service is listed as: the page can say so. Not what some are.
    assert_eq!(
        dir.index
            .unanswered(&words("sleeping in car tonight nowhere to go")),
        vec!["homelessness".to_string()]
    );
    assert!(dir.index.unanswered(&words("domestic violence")).is_empty());
    // "domestic violence" finds "domestic abuse"; the perpetrator programme is not offered.
    let dv = found(&dir, &words("domestic violence"));
    assert_eq!(dv.first(), Some(&id(10)), "{dv:?}");
    assert!(!dv.iter().take(3).any(|s| *s == id(11)), "{dv:?}");
    // "lonely" reaches befriending and lunch clubs though no listing says "lonely".
    let lonely = found(&dir, &words("lonely"));
    for s in [id(13), id(20), id(12)] {
        assert!(lonely.contains(&s), "{s} missing from {lonely:?}");
    }
    // A programme for men who have been abusive is not listed for a men's group, but is
    // found by its name.
    assert!(!found(&dir, &words("men's group")).contains(&id(11)));
    assert!(found(&dir, &words("changing behaviours")).contains(&id(11)));
    // Two kinds of one broad concept asked for: a service about either is what was asked.
    let two = found(&dir, &words("stroke dementia"));
    assert!(
        two.iter().take(2).any(|s| *s == id(22)) && two.iter().take(2).any(|s| *s == id(19)),
        "{two:?}"
    );
    let score = |q: &str| {
        dir.search(&words(q))
            .unwrap()
            .into_iter()
            .find(|h| h.id == id(22))
            .map_or(0.0, |h| h.score)
    };
    // Answering one of the two words asked, it keeps much of its score (about half), not a
    // third of that as "another kind of long-term condition".
    let (both, one) = (score("stroke dementia"), score("stroke"));
    assert!(both > 0.35 * one, "{both} against {one}");
    // The reason names what matched.
    let hit = dir.search(&words("domestic violence")).unwrap().remove(0);
    assert!(hit.why.unwrap().contains("domestic abuse"));
    // A copy 50 km away is not offered as the local group; asked for, it comes last.
    let lunch = found(&dir, &words("lunch club"));
    assert!(
        lunch.contains(&id(13)) && !lunch.contains(&id(14)),
        "{lunch:?}"
    );
    let anywhere = found(
        &dir,
        &SearchQuery {
            keep_far: true,
            ..words("lunch club")
        },
    );
    assert_eq!(anywhere.last(), Some(&id(14)), "{anywhere:?}");
    // Temporarily closed: hidden unless asked for.
    assert!(!found(&dir, &words("knitting")).contains(&id(15)));
    let closed = found(
        &dir,
        &SearchQuery {
            include_inactive: true,
            ..words("knitting")
        },
    );
    assert!(closed.contains(&id(15)));
    // A telephone service with a service area counts inside a distance limit.
    let within = found(
        &dir,
        &SearchQuery {
            within_m: Some(3000.0),
            ..words("lonely")
        },
    );
    assert!(
        within.contains(&id(20)) && !within.contains(&id(21)),
        "{within:?}"
    );
}

pub async fn matching_reads_the_whole_person(store: Arc<dyn Storage>) {
    let dir = directory(store).await;
    let person = |needs: Vec<(Need, u8)>| MatchProfile {
        needs,
        age: Some(70.0),
        sex: Some(Sex::Female),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 10,
        ..Default::default()
    };
    let ids = |p: &MatchProfile| -> Vec<String> {
        dir.index
            .match_services(p)
            .into_iter()
            .map(|m| m.id)
            .collect()
    };
    // A service under another publisher's "Drink & Drugs" is proposed for substance use,
    // with the words quoted; a quiz with a licensed bar never is.
    let drink = person(vec![(Need::SubstanceUse, 4), (Need::Loneliness, 3)]);
    let m = dir.index.match_services(&drink);
    let recovery = m.iter().find(|x| x.id == id(16)).expect("recovery café");
    assert!(
        recovery.reasons.iter().any(|r| r.contains("substance use")),
        "{:?}",
        recovery.reasons
    );
    assert!(!ids(&drink).contains(&id(17)));
    // A woman is not offered the men-only shed; a man is.
    let lonely = person(vec![(Need::Loneliness, 5)]);
    assert!(!ids(&lonely).contains(&id(18)));
    let man = MatchProfile {
        sex: Some(Sex::Male),
        ..lonely.clone()
    };
    assert!(ids(&man).contains(&id(18)));
    // The dementia café is only for people with memory problems; what matters in their
    // own words can say so.
    assert!(!ids(&lonely).contains(&id(19)));
    let memory = MatchProfile {
        what_matters: "My memory is going and I worry about dementia".into(),
        ..lonely.clone()
    };
    assert!(ids(&memory).contains(&id(19)), "{:?}", ids(&memory));
    // A group made for people in another situation (a stroke club, a toddler group) comes
    // after those made for anyone, with a caution; their own words put them among its people.
    let m = dir.index.match_services(&lonely);
    let at = |id: &str| m.iter().position(|x| x.id == id);
    let calls = at(&id(20)).expect("friendship calls");
    for other in [id(22), id(23)] {
        assert!(at(&other).is_none_or(|p| p > calls), "{m:#?}");
    }
    let stroke = m
        .iter()
        .find(|x| x.id == id(22))
        .expect("stroke club, ranked low");
    assert!(
        stroke
            .cautions
            .iter()
            .any(|c| c == "Made for stroke: check it suits them"),
        "{:?}",
        stroke.cautions
    );
    let survivor = MatchProfile {
        what_matters: "Since I had a stroke I hardly go out".into(),
        ..lonely.clone()
    };
    let m = dir.index.match_services(&survivor);
    assert_eq!(m[0].id, id(22), "{m:#?}");
    assert!(m[0].cautions.iter().all(|c| !c.starts_with("Made for")));
    // A manager confirming a listing is for veterans makes it one, with the caution; removing
    // the concept takes it back.
    let actor = Actor::system("test");
    dir.review_concept(&id(20), "veterans", Some(true), &actor)
        .await
        .unwrap();
    let calls = dir.index.match_services(&lonely);
    let calls = calls
        .iter()
        .find(|x| x.id == id(20))
        .expect("friendship calls");
    assert!(
        calls
            .cautions
            .iter()
            .any(|c| c.starts_with("Made for veterans")),
        "{:?}",
        calls.cautions
    );
    dir.review_concept(&id(20), "veterans", None, &actor)
        .await
        .unwrap();
    // Whom its description says it is made for is read, for the ranking and the page.
    let cafe = dir.index.facts(&id(19)).expect("memory café");
    let v = directory::vocabulary::Vocabulary::builtin();
    let made_for: Vec<&str> = cafe
        .made_for
        .iter()
        .map(|c| v.concept(*c).id.as_str())
        .collect();
    assert_eq!(made_for, ["dementia", "carers"]);
    // Interests in their own words.
    let knit = MatchProfile {
        interest_words: vec!["I love knitting".into()],
        ..lonely.clone()
    };
    assert!(!ids(&knit).contains(&id(15)), "temporarily closed");
    // Step-free access is a filter: the first-floor lunch club is left out and counted,
    // and relaxing it brings it back with a caution.
    let wheelchair = MatchProfile {
        access: vec![AccessFeature::StepFree],
        ..lonely.clone()
    };
    let report = dir.index.match_report(&wheelchair);
    assert!(!report.matches.iter().any(|x| x.id == id(13)));
    assert!(
        report.left_out.contains(&(Filter::StepFree, 1)),
        "{:?}",
        report.left_out
    );
    let relaxed = dir.index.match_report(&MatchProfile {
        relax: Some(Filter::StepFree),
        ..wheelchair.clone()
    });
    let lunch = relaxed.matches.iter().find(|x| x.id == id(13)).unwrap();
    assert!(lunch.cautions.iter().any(|c| c.contains("Not step-free")));
    // Times of day they can make: the Sunday lunch club (12 till 2) is left out for
    // someone who can only make evenings, and kept, with the reason, for afternoons.
    let evenings = dir.index.match_report(&MatchProfile {
        times: vec![TimeOfDay::Evening],
        ..lonely.clone()
    });
    assert!(!evenings.matches.iter().any(|x| x.id == id(13)));
    assert!(evenings.left_out.iter().any(|(f, _)| *f == Filter::Days));
    assert_eq!(
        Filter::Days.left_out(&MatchProfile {
            times: vec![TimeOfDay::Evening],
            ..lonely.clone()
        }),
        "do not run when they can make it"
    );
    let afternoons = dir.index.match_services(&MatchProfile {
        times: vec![TimeOfDay::Afternoon],
        ..lonely.clone()
    });
    let lunch = afternoons
        .iter()
        .find(|x| x.id == id(13))
        .expect("lunch club");
    assert!(
        lunch.reasons.iter().any(|r| r == "Runs in the afternoons"),
        "{:?}",
        lunch.reasons
    );
    // How far they travel: the befriending group 15 km away is counted, not shown.
    let near = dir.index.match_report(&lonely);
    assert!(!near.matches.iter().any(|x| x.id == id(21)));
    assert!(near.left_out.iter().any(|(f, _)| *f == Filter::Distance));
    // A need no service is classified for is named.
    let digital = dir
        .index
        .match_report(&person(vec![(Need::DigitalInclusion, 4)]));
    assert!(digital.matches.is_empty());
    assert_eq!(digital.unserved, vec![Need::DigitalInclusion]);
}

/// Who a service is for, read as a link worker reads it: eligibility lists as alternatives,
/// a narrower situation only from the person's words, youth services for young people, the
/// person's language, and tenure.
pub async fn matching_knows_who_a_service_is_for(store: Arc<dyn Storage>) {
    let dir = directory(store).await;
    let base = MatchProfile {
        age: Some(40.0),
        sex: Some(Sex::Male),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 20,
        ..Default::default()
    };
    let proposed = |p: &MatchProfile| dir.index.match_services(p);
    let ids = |p: &MatchProfile| -> Vec<String> { proposed(p).into_iter().map(|m| m.id).collect() };
    // "Dads and male carers": open to a dad, though he is not a carer; not to anyone else.
    let dad = MatchProfile {
        needs: vec![(Need::Relationships, 3), (Need::Loneliness, 3)],
        what_matters: "I feel like I'm failing at being a dad.".into(),
        ..base.clone()
    };
    assert!(ids(&dad).contains(&id(40)), "{:?}", ids(&dad));
    let lonely = MatchProfile {
        needs: vec![(Need::Loneliness, 4), (Need::Relationships, 3)],
        ..base.clone()
    };
    assert!(!ids(&lonely).contains(&id(40)), "{:?}", ids(&lonely));
    // A class for people who have completed cardiac rehab: not for every long-term condition.
    let condition = MatchProfile {
        needs: vec![(Need::LongTermConditions, 4), (Need::PhysicalActivity, 3)],
        ..base.clone()
    };
    // With a long-term conditions need only, it ranks lower and says what to check.
    if let Some(class) = proposed(&condition).into_iter().find(|m| m.id == id(41)) {
        assert!(
            class
                .cautions
                .iter()
                .any(|c| c.starts_with("Only for people with heart conditions")),
            "{:?}",
            class.cautions
        );
    }
    let heart = MatchProfile {
        what_matters: "Since my heart attack I want to get fit again safely.".into(),
        ..condition.clone()
    };
    // Words that name another condition (diabetes) say it is not theirs.
    let diabetes = MatchProfile {
        what_matters: "The nurse says I'll end up on insulin if I don't get moving.".into(),
        ..condition.clone()
    };
    assert!(!ids(&diabetes).contains(&id(41)), "{:?}", ids(&diabetes));
    let class = proposed(&heart)
        .into_iter()
        .find(|m| m.id == id(41))
        .expect("the class, for someone who had a heart attack");
    assert!(
        !class
            .cautions
            .iter()
            .any(|c| c.starts_with("Only for people with")),
        "{:?}",
        class.cautions
    );
    // A 15-year-old young carer: the youth club comes before the adults' carers' coffee morning.
    let teen = MatchProfile {
        age: Some(15.0),
        needs: vec![(Need::Carer, 4), (Need::Loneliness, 3)],
        ..base.clone()
    };
    let t = ids(&teen);
    let at = |s: &str| t.iter().position(|x| x == s).unwrap_or(usize::MAX);
    assert!(at(&id(42)) < at(&id(43)), "{t:?}");
    let youth = proposed(&teen)
        .into_iter()
        .find(|m| m.id == id(42))
        .unwrap();
    assert!(
        youth
            .reasons
            .iter()
            .any(|r| r.starts_with("For young people")),
        "{:?}",
        youth.reasons
    );
    // A Deaf BSL user is not offered a course to learn BSL.
    let deaf = MatchProfile {
        language: Some("bfi".into()),
        needs: vec![(Need::Loneliness, 4), (Need::Employment, 3)],
        interest_words: vec!["sign language".into()],
        ..base.clone()
    };
    assert!(!ids(&deaf).contains(&id(44)), "{:?}", ids(&deaf));
    // English practice: offered to someone whose first language is Punjabi, without a
    // "Punjabi not listed" caution; for an English speaker it carries a caution.
    let punjabi = MatchProfile {
        language: Some("pa".into()),
        needs: vec![(Need::Loneliness, 3)],
        ..base.clone()
    };
    let club = proposed(&punjabi)
        .into_iter()
        .find(|m| m.id == id(45))
        .expect("the English conversation club");
    assert!(
        club.reasons
            .iter()
            .any(|r| r.starts_with("English practice (their preferred language is Punjabi)")),
        "{:?}",
        club.reasons
    );
    assert!(
        !club.cautions.iter().any(|c| c.contains("not listed")),
        "{:?}",
        club.cautions
    );
    let english = proposed(&lonely)
        .into_iter()
        .find(|m| m.id == id(45))
        .expect("the English conversation club, ranked lower");
    assert!(
        english
            .cautions
            .iter()
            .any(|c| c.starts_with("English classes are for people learning English")),
        "{:?}",
        english.cautions
    );
    // "English (UK)" is English: no English practice offered as if it were another language.
    let uk = MatchProfile {
        language: Some("English (UK)".into()),
        ..lonely.clone()
    };
    assert!(
        proposed(&uk)
            .iter()
            .all(|m| !m.reasons.iter().any(|r| r.starts_with("English practice"))),
        "{:?}",
        proposed(&uk)
    );
    // A housing association's tenants-only advice: not for someone who rents privately.
    let debt = MatchProfile {
        needs: vec![(Need::Financial, 4)],
        ..base.clone()
    };
    assert!(ids(&debt).contains(&id(46)), "{:?}", ids(&debt));
    let private = MatchProfile {
        what_matters: "I rent privately and I'm behind.".into(),
        ..debt.clone()
    };
    assert!(!ids(&private).contains(&id(46)), "{:?}", ids(&private));
    // Their words name the landlord: they qualify, said as a reason, not a caution.
    let tenant = MatchProfile {
        what_matters: "I've got behind on the rent on my Riverside Homes flat.".into(),
        ..debt.clone()
    };
    let advice = proposed(&tenant)
        .into_iter()
        .find(|m| m.id == id(46))
        .expect("the tenants' money advice");
    assert!(
        advice
            .reasons
            .iter()
            .any(|r| r.contains("their own words name Riverside Homes")),
        "{:?}",
        advice.reasons
    );
    assert!(
        !advice
            .cautions
            .iter()
            .any(|c| c.contains("Check they qualify")),
        "{:?}",
        advice.cautions
    );
    let unsure = proposed(&debt)
        .into_iter()
        .find(|m| m.id == id(46))
        .unwrap();
    assert!(
        unsure
            .cautions
            .iter()
            .any(|c| c.contains("Check they qualify")),
        "{:?}",
        unsure.cautions
    );
}

/// Services that fit but are not for the person are counted, by reason, for the match page.
pub async fn the_match_page_can_say_what_was_left_out_and_why(store: Arc<dyn Storage>) {
    let dir = directory(store).await;
    let woman = MatchProfile {
        age: Some(45.0),
        sex: Some(Sex::Female),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 20,
        interest_words: vec!["woodwork".into(), "fixing bikes".into()],
        ..Default::default()
    };
    let report = dir.index.match_report(&woman);
    assert!(
        !report.matches.iter().any(|m| m.id == id(18)),
        "the men's shed is not proposed to a woman"
    );
    assert!(
        report
            .ruled_out
            .iter()
            .any(|(why, n)| *why == "are for the other sex" && *n >= 1),
        "{:?}",
        report.ruled_out
    );
    // Nor is a group they could not reach counted: within 300 m, the shed 1 km away is
    // not news.
    let near_only = dir.index.match_report(&MatchProfile {
        max_distance_m: 300.0,
        ..woman.clone()
    });
    assert!(
        !near_only
            .ruled_out
            .iter()
            .any(|(why, _)| *why == "are for the other sex"),
        "{:?}",
        near_only.ruled_out
    );
    // A man is offered it, and nothing is said to be left out for his sex.
    let man = MatchProfile {
        sex: Some(Sex::Male),
        ..woman.clone()
    };
    let report = dir.index.match_report(&man);
    assert!(report.matches.iter().any(|m| m.id == id(18)));
    assert!(
        !report
            .ruled_out
            .iter()
            .any(|(why, _)| *why == "are for the other sex"),
        "{:?}",
        report.ruled_out
    );
}

/// Misspelt words are read as the vocabulary's; real words the directory lacks are not.
pub async fn misspelt_words_are_read_as_meant(store: Arc<dyn Storage>) {
    let dir = directory(store).await;
    // "demenita" finds the dementia café, and the page can say what was searched for.
    let memory = found(&dir, &words("demenita"));
    assert_eq!(memory.first(), Some(&id(19)), "{memory:?}");
    assert_eq!(dir.index.read_as("demenita").as_deref(), Some("dementia"));
    assert_eq!(
        dir.index.read_as("feeling lonley").as_deref(),
        Some("feeling lonely")
    );
    // A real word is never turned into another ("rental" is not "mental"), and a word in
    // the directory's own listings ("natter") stands.
    assert_eq!(dir.index.read_as("rental"), None);
    assert_eq!(dir.index.read_as("natter"), None);
    // A parent's age does not hide a toddler group, whose ages are the child's; a new
    // mum's words find it.
    let toddlers = found(
        &dir,
        &SearchQuery {
            age: Some(30.0),
            ..words("new mum lonely")
        },
    );
    assert!(toddlers.contains(&id(23)), "{toddlers:?}");
    // A real word that is in no listing finds nothing rather than look-alikes.
    assert!(found(&dir, &words("tractor")).is_empty());
    // A person's misspelt words count too.
    let person = MatchProfile {
        age: Some(70.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 20,
        what_matters: "My husband has demenita and I want to keep him going out.".into(),
        ..Default::default()
    };
    let proposed: Vec<String> = dir
        .index
        .match_services(&person)
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert!(proposed.contains(&id(19)), "{proposed:?}");
}

/// Someone who can hardly get about is offered what comes to them first, with a caution on
/// what they would have to travel to.
pub async fn matching_weighs_how_they_get_about(store: Arc<dyn Storage>) {
    let dir = directory(store).await;
    // Lonely, over 60, and needing a lot of help to get anywhere.
    let stuck = MatchProfile {
        age: Some(80.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 20,
        needs: vec![(Need::Loneliness, 4), (Need::Transport, 5)],
        ..Default::default()
    };
    let matches = dir.index.match_services(&stuck);
    let at = |n: u32| matches.iter().position(|m| m.id == id(n));
    let calls = at(20).expect("the phone befriending is proposed");
    let lunch = at(13).expect("the lunch club is proposed");
    assert!(calls < lunch, "{matches:?}");
    assert!(
        matches[lunch]
            .cautions
            .iter()
            .any(|c| c.contains("help with transport")),
        "{:?}",
        matches[lunch].cautions
    );
    assert!(!matches[calls]
        .cautions
        .iter()
        .any(|c| c.contains("help with transport")));
    // Without that need, nothing is said about getting there.
    let mobile = MatchProfile {
        needs: vec![(Need::Loneliness, 4)],
        ..stuck.clone()
    };
    assert!(dir.index.match_services(&mobile).iter().all(|m| m
        .cautions
        .iter()
        .all(|c| !c.contains("help with transport"))));
}

/// Each main need is answered among the first proposals, even when another need's services
/// would fill them all.
pub async fn every_main_need_is_answered_near_the_top(store: Arc<dyn Storage>) {
    let dir = directory(store).await;
    let person = MatchProfile {
        age: Some(70.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 3,
        needs: vec![(Need::Loneliness, 5), (Need::SubstanceUse, 3)],
        ..Default::default()
    };
    let matches = dir.index.match_services(&person);
    assert_eq!(matches.len(), 3, "{matches:?}");
    assert!(
        matches.iter().any(|m| m.id == id(16)),
        "the recovery café answers their drinking: {matches:?}"
    );
    // Their loneliness still leads.
    assert!(matches[0].reasons[0].contains("loneliness"), "{matches:?}");
    // Two main needs none of the first three answers: both are brought in, the second
    // in place of the one above the first (not pushing the first out).
    let two = dir.index.match_services(&MatchProfile {
        needs: vec![
            (Need::Loneliness, 5),
            (Need::SubstanceUse, 3),
            (Need::Carer, 3),
        ],
        ..person.clone()
    });
    let ids: Vec<&str> = two.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids.len(), 3, "{two:?}");
    assert!(ids.contains(&id(16).as_str()), "recovery café: {two:?}");
    assert!(
        ids.contains(&id(43).as_str()),
        "carers' coffee morning: {two:?}"
    );
}

/// A directory whose venues are in a town and a village 8 km away: a service for one
/// parish's residents, a telephone service and a town lunch club for its residents.
fn places_feed() -> Vec<u8> {
    let town = |k: f64| (HOME.0 + k * 0.002, HOME.1);
    let village = (HOME.0 + 0.072, HOME.1);
    let venue = |n: u32, name: &str, at: (f64, f64), city: &str, eligibility: Option<&str>| {
        let mut s = json!({
            "id": id(n), "name": name, "status": "active", "organization_id": id(1),
            "description": "Company, a hot drink and a chat for anyone who feels lonely.",
            "service_at_locations": [{"id": id(4000 + n), "location_id": id(2000 + n),
                "location": {"id": id(2000 + n), "location_type": "physical",
                    "latitude": at.0, "longitude": at.1,
                    "addresses": [{"id": id(3000 + n), "address_1": "1 High Street",
                        "city": city, "state_province": "Elmshire", "postal_code": "ZZ1 1ZZ",
                        "country": "GB", "address_type": "physical"}]}}]
        });
        if let Some(e) = eligibility {
            s["eligibility_description"] = json!(e);
        }
        s
    };
    let remote = |n: u32, name: &str, description: &str, area: &str| {
        json!({"id": id(n), "name": name, "status": "active", "organization_id": id(1),
            "description": description,
            "service_areas": [{"id": id(5000 + n), "extent": area, "extent_type": "text"}]})
    };
    let services = vec![
        venue(60, "Elmford Coffee Morning", town(0.0), "Elmford", None),
        venue(61, "Elmford Lunch Club", town(1.0), "Elmford", Some("Elmford residents only")),
        venue(62, "Elmford Library Chat Café", town(2.0), "Elmford", None),
        venue(63, "Ashby Village Hall Social", village, "Ashby", None),
        remote(
            64,
            "Ashby Good Neighbours",
            "Volunteers pop round for a chat and help with shopping, for lonely neighbours. For residents of Ashby parish.",
            "Ashby parish",
        ),
        remote(
            65,
            "Phone Friends",
            "A weekly befriending phone call for anyone who feels lonely.",
            "Elmford district (telephone)",
        ),
    ];
    serde_json::to_vec(&json!([{"id": id(1), "name": "Elmford Community Network",
        "description": "A synthetic network.", "services": services}]))
    .unwrap()
}

/// Services for the people of one place are for them, and a telephone line is not for
/// someone who uses British Sign Language.
pub async fn services_for_one_place_are_for_the_people_there(store: Arc<dyn Storage>) {
    let dir = imported(store, &places_feed()).await;
    let in_town = MatchProfile {
        age: Some(70.0),
        near: Some(HOME),
        max_distance_m: 20_000.0,
        limit: 10,
        needs: vec![(Need::Loneliness, 5)],
        ..Default::default()
    };
    let ids = |p: &MatchProfile| -> Vec<String> {
        dir.index
            .match_services(p)
            .into_iter()
            .map(|m| m.id)
            .collect()
    };
    let town = ids(&in_town);
    assert!(
        !town.contains(&id(64)),
        "another parish's neighbours: {town:?}"
    );
    assert!(
        town.contains(&id(65)),
        "the district's phone line: {town:?}"
    );
    let lunch = dir
        .index
        .match_services(&in_town)
        .into_iter()
        .find(|m| m.id == id(61))
        .expect("their own town's lunch club");
    assert!(
        lunch
            .reasons
            .iter()
            .any(|r| r.contains("they live in Elmford")),
        "{lunch:?}"
    );
    assert!(dir
        .index
        .why_not(&in_town, &id(64))
        .contains("live elsewhere"));
    // Someone in the village is offered its neighbours, not the town's residents' club.
    let in_village = MatchProfile {
        near: Some((HOME.0 + 0.072, HOME.1)),
        ..in_town.clone()
    };
    let village = ids(&in_village);
    assert!(village.contains(&id(64)), "{village:?}");
    assert!(!village.contains(&id(61)), "{village:?}");
    // Search near each home says the same.
    let near = |at: (f64, f64)| -> Vec<String> {
        found(
            &dir,
            &SearchQuery {
                text: "lonely".into(),
                near: Some(at),
                ..Default::default()
            },
        )
    };
    assert!(!near(HOME).contains(&id(64)));
    assert!(near((HOME.0 + 0.072, HOME.1)).contains(&id(64)));
    // A Deaf BSL user is not offered a telephone line.
    let bsl = MatchProfile {
        language: Some("bfi".into()),
        ..in_town.clone()
    };
    let signed = ids(&bsl);
    assert!(!signed.contains(&id(65)), "{signed:?}");
    assert!(!signed.is_empty());
}

/// A narrow group filed under a broad term is for its own people; and what a person says
/// matters to them is answered among the first proposals.
pub async fn a_person_is_offered_what_is_theirs_and_what_they_asked_for(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let mut services = vec![
        service(
            70,
            "Deaf Social Club",
            "Social club for Deaf BSL users: games, talks and trips. Run in British Sign Language.",
            None,
            Some(("Disability & Sensory", 7)),
            near(0.5),
            None,
            "active",
        ),
        service(
            71,
            "Accessible Sports Club",
            "Sport and a social for disabled adults: boccia, table tennis and wheelchair basketball.",
            None,
            Some(("Disability & Sensory", 7)),
            near(2.0),
            None,
            "active",
        ),
        service(
            72,
            "English Conversation Club",
            "Practise speaking English over a cup of tea. All levels welcome.",
            None,
            Some(("Learning", 8)),
            near(3.0),
            None,
            "active",
        ),
    ];
    for n in 0..6 {
        services.push(service(
            73 + n,
            &format!("Coffee Morning {n}"),
            "Coffee, cake and a chat for anyone who would like company.",
            None,
            Some(("Socialising & Clubs", 2)),
            near(0.2 + f64::from(n) * 0.1),
            None,
            "active",
        ));
    }
    let dir = network(store, services).await;
    let person = MatchProfile {
        age: Some(42.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 5,
        needs: vec![(Need::Loneliness, 4)],
        interest_words: vec!["wheelchair basketball".into()],
        what_matters: "Since the accident I'm in a wheelchair. I'd like a little more English too."
            .into(),
        ..Default::default()
    };
    let matches = dir.index.match_services(&person);
    let at = |n: u32| matches.iter().position(|m| m.id == id(n));
    assert!(
        at(71).is_some_and(|a| at(70).is_none_or(|d| a < d)),
        "the club for disabled people before the Deaf club: {matches:?}"
    );
    if let Some(deaf) = matches.iter().find(|m| m.id == id(70)) {
        assert!(
            deaf.cautions.iter().any(|c| c.contains("Made for")),
            "{deaf:?}"
        );
    }
    assert!(at(72).is_some(), "the English they asked for: {matches:?}");
}

pub async fn what_a_service_is_and_who_it_is_for_are_read_rightly(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let feed = serde_json::to_vec(&json!([{"id": id(1), "name": "Elsewhere Community Network",
        "description": "A synthetic network.", "services": [
        service(
            80,
            "Employment Support for Mental Health",
            "An employment specialist helps you find and keep paid work alongside your mental health treatment.",
            Some("Adults receiving secondary mental health care; referral from the community mental health team"),
            Some(("Feeling Low or Anxious", 9)),
            near(0.3),
            None,
            "active",
        ),
        service(
            81,
            "Wellbeing Peer Support Group",
            "A friendly peer support group for people living with low mood, anxiety or depression.",
            None,
            Some(("Feeling Low or Anxious", 9)),
            near(1.5),
            None,
            "active",
        ),
        service(
            82,
            "Steady Steps",
            "A gentle strength and balance programme, mostly seated to begin with.",
            None,
            Some(("Keeping Active", 10)),
            near(0.5),
            None,
            "active",
        ),
        service(
            83,
            "Hearing Aid Drop-in",
            "Volunteers clean and retube hearing aids and replace batteries.",
            None,
            Some(("Sensory loss", 11)),
            near(0.4),
            None,
            "active",
        ),
        service(
            85,
            "Doorstep Friends",
            "Volunteer befrienders visit people who are housebound or lonely for a cuppa and a chat.",
            None,
            Some(("Befriending", 13)),
            near(0.2),
            None,
            "active",
        ),
        service(
            86,
            "Supper Club",
            "Cook and share a meal together: everyone helps in the kitchen, then we eat and chat.",
            None,
            Some(("Meeting People", 14)),
            near(4.0),
            None,
            "active",
        ),
        service(
            87,
            "24/7 Mental Health Crisis Line",
            "If you are in a mental health crisis, call us any time, day or night.",
            None,
            Some(("Urgent mental health help", 15)),
            None,
            None,
            "active",
        ),
        service(
            88,
            "Men's Shed",
            "Woodwork, repairs and a natter for men of all ages.",
            None,
            Some(("Meeting People", 14)),
            near(0.8),
            None,
            "active",
        ),
        service(
            89,
            "Mums Together",
            "Peer support for mums feeling low or overwhelmed in pregnancy or after having a baby.",
            Some("Mothers, in pregnancy or with a baby under 2"),
            Some(("Early years and families", 16)),
            near(0.6),
            None,
            "active",
        ),
        service(
            90,
            "Family and Friends Support",
            "Support group and one-to-one help for people affected by a loved one's drinking or drug use.",
            None,
            Some(("Drugs & Alcohol", 17)),
            near(0.7),
            None,
            "active",
        ),
        service(
            91,
            "Recovery Meeting",
            "A mutual aid recovery meeting for anyone who wants to stop drinking or using drugs.",
            None,
            Some(("Drugs & Alcohol", 17)),
            near(0.9),
            None,
            "active",
        ),
        service(
            84,
            "Bereavement Cafe",
            "A cuppa and a chat with others who have lost someone.",
            None,
            Some(("Bereavement", 12)),
            near(2.5),
            None,
            "active",
        ),
    ]}]))
    .unwrap();
    let dir = imported(store, &feed).await;
    // The peer group comes before the service only for people under the mental health team,
    // which says to check they are.
    let person = MatchProfile {
        age: Some(38.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 5,
        needs: vec![(Need::MentalHealth, 4)],
        ..Default::default()
    };
    let matches = dir.index.match_services(&person);
    let at = |n: u32| matches.iter().position(|m| m.id == id(n));
    assert!(
        at(81).is_some_and(|a| at(80).is_some_and(|d| a < d)),
        "the open group first: {matches:?}"
    );
    let ips = matches
        .iter()
        .find(|m| m.id == id(80))
        .expect("offered, lower");
    assert!(
        ips.cautions
            .iter()
            .any(|c| c.contains("specialist care") && c.contains("secondary mental health")),
        "{ips:?}"
    );
    // A crisis line is for people in crisis: after the peer group for low mood, saying so,
    // and first for someone whose words say they do not want to be here.
    assert!(
        at(81).is_some_and(|a| at(87).is_none_or(|c| a < c)),
        "the peer group before the crisis line: {matches:?}"
    );
    let crisis = matches
        .iter()
        .find(|m| m.id == id(87))
        .expect("offered, lower");
    assert!(
        crisis.cautions.iter().any(|c| c.contains("Made for")),
        "{crisis:?}"
    );
    let crisis = MatchProfile {
        what_matters: "Some days I don't want to be here any more.".into(),
        ..person.clone()
    };
    let matches = dir.index.match_services(&crisis);
    assert_eq!(
        matches.first().map(|m| m.id.clone()),
        Some(id(87)),
        "{matches:?}"
    );
    // "Men's mental health" where no group is for men: the services for mental health, and
    // the men's group before the crisis line.
    let men = found(&dir, &words("men's mental health"));
    assert!(men.contains(&id(81)), "{men:?}");
    let pos = |n: u32| men.iter().position(|x| *x == id(n));
    assert!(pos(88).is_some(), "{men:?}");
    assert!(
        pos(87).is_none_or(|c| pos(88).is_some_and(|m| m < c)),
        "the men's group before the crisis line: {men:?}"
    );
    // Someone whose words say they are under the team is not told to check.
    let theirs = MatchProfile {
        what_matters: "My CPN thinks I'm ready to look for work.".into(),
        ..person.clone()
    };
    let matches = dir.index.match_services(&theirs);
    let ips = matches.iter().find(|m| m.id == id(80)).expect("offered");
    assert!(
        ips.cautions.iter().all(|c| !c.contains("specialist care")),
        "{ips:?}"
    );
    // Who they cook for is not what they enjoy: "friends" does not bring in Doorstep Friends
    // before the group that cooks.
    let cook = MatchProfile {
        age: Some(72.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 5,
        needs: vec![(Need::Loneliness, 4)],
        interest_words: vec!["cooking for friends".into()],
        ..Default::default()
    };
    let matches = dir.index.match_services(&cook);
    assert_eq!(
        matches.first().map(|m| m.id.clone()),
        Some(id(86)),
        "{matches:?}"
    );
    // "Other mums": a mum is among the people a group for mums in pregnancy or with a baby
    // is for, though her words do not say which: it is offered first, saying to check.
    let mum = MatchProfile {
        age: Some(24.0),
        sex: Some(Sex::Female),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 5,
        needs: vec![(Need::Loneliness, 4)],
        what_matters: "I'd like to meet some other mums.".into(),
        ..Default::default()
    };
    let matches = dir.index.match_services(&mum);
    assert_eq!(
        matches.first().map(|m| m.id.clone()),
        Some(id(89)),
        "{matches:?}"
    );
    let mums = &matches[0];
    assert!(
        mums.cautions
            .iter()
            .any(|c| c.contains("Check they qualify")),
        "{mums:?}"
    );
    // A group for the family of someone who drinks is for his mother, not for him; the
    // recovery meeting is for him, not for her.
    let drinker = MatchProfile {
        age: Some(35.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 5,
        needs: vec![(Need::SubstanceUse, 4)],
        what_matters: "I want to stop drinking before it costs me my kids.".into(),
        ..Default::default()
    };
    let matches = dir.index.match_services(&drinker);
    let at = |n: u32| matches.iter().position(|m| m.id == id(n));
    assert_eq!(at(91), Some(0), "{matches:?}");
    let family = matches
        .iter()
        .find(|m| m.id == id(90))
        .expect("offered, lower");
    assert!(
        family.cautions.iter().any(|c| c.contains("Made for")),
        "{family:?}"
    );
    let mother = MatchProfile {
        age: Some(58.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 5,
        needs: vec![(Need::Carer, 4), (Need::MentalHealth, 3)],
        what_matters: "I need to understand what my son is going through with the drugs.".into(),
        ..Default::default()
    };
    let matches = dir.index.match_services(&mother);
    let at = |n: u32| matches.iter().position(|m| m.id == id(n));
    assert_eq!(at(90), Some(0), "{matches:?}");
    assert!(at(91).is_none_or(|r| r > 1), "{matches:?}");
    // "Exercise classes" finds the chair-based strength and balance class.
    assert!(found(&dir, &words("exercise classes")).contains(&id(82)));
    // A grieving widow is offered the bereavement cafe, not the hearing aid drop-in filed
    // under "Sensory loss".
    let widow = MatchProfile {
        age: Some(70.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 5,
        needs: vec![(Need::Bereavement, 5)],
        ..Default::default()
    };
    let matches = dir.index.match_services(&widow);
    assert_eq!(
        matches.first().map(|m| m.id.clone()),
        Some(id(84)),
        "{matches:?}"
    );
    assert!(matches.iter().all(|m| m.id != id(83)), "{matches:?}");
}

/// How they want help, in their own words: not in a group, not what they have done already,
/// not in a pub when they are stopping drinking; who they are; and how far is local.
pub async fn what_their_words_say_about_how_they_want_help(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let at = |n: u32, name: &str, description: &str, eligibility: Option<&str>, k: f64| {
        service(
            n,
            name,
            description,
            eligibility,
            None,
            near(k),
            None,
            "active",
        )
    };
    let mut services = vec![
        at(100, "Open Door Peer Support", "A peer support group for people with anxiety or depression: come and be heard.", None, 0.3),
        at(101, "Counselling Service", "Free one-to-one counselling for adults with anxiety or low mood.", None, 1.2),
        at(102, "Cardiac Rehabilitation", "Exercise and education after a heart attack or stents. Referral from the cardiac team.", None, 0.4),
        at(103, "Heart Club Exercise Class", "Weekly supervised exercise for people who have finished cardiac rehab.", None, 1.0),
        at(104, "Rainbow Social", "A relaxed monthly social for LGBTQ+ adults.", None, 1.5),
        at(105, "Lunch Club", "A hot two-course lunch and good company every Wednesday.", None, 0.6),
        at(106, "Male Voice Choir", "Four-part harmony, no auditions, and a pint after.", Some("Men aged 18 and over"), 0.9),
        at(107, "Dementia Carers Support", "Support and advice for people caring for someone living with dementia.", None, 0.5),
        at(108, "Carers Support Service", "One-to-one support, breaks and a carers' assessment for unpaid carers.", Some("Unpaid carers"), 1.1),
        at(109, "Relationship Counselling", "Counselling for couples and individuals about their relationships.", None, 0.7),
    ];
    // The quiz night is in a pub: only its venue's name says so.
    let mut quiz = at(
        110,
        "Thursday Quiz Night",
        "Our famous quiz every Thursday from 8pm, teams of up to six.",
        None,
        0.2,
    );
    quiz["service_at_locations"][0]["location"]["name"] = json!("The Drovers Arms");
    services.push(quiz);
    // A town: fifteen more venues round home; a village 12 km south has only its hall.
    for k in 0..15 {
        services.push(at(
            120 + k,
            &format!("Town Hall Activity {k}"),
            "Something on most days.",
            None,
            0.1 * f64::from(k),
        ));
    }
    let village = (HOME.0 - 12.0 * 0.009, HOME.1);
    services.push(service(
        140,
        "Village Hall Coffee Morning",
        "Coffee, cake and company.",
        None,
        None,
        Some(village),
        None,
        "active",
    ));
    let dir = network(store, services).await;
    let person = |needs: Vec<(Need, u8)>, words: &str| MatchProfile {
        age: Some(45.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 10,
        needs,
        what_matters: words.into(),
        ..Default::default()
    };
    let rank = |p: &MatchProfile, n: u32| {
        dir.index
            .match_services(p)
            .iter()
            .position(|m| m.id == id(n))
    };
    // "I don't do groups": one-to-one counselling before the peer group, which says why.
    let neil = person(
        vec![(Need::MentalHealth, 4)],
        "I don't do groups. One person I can talk to, that's what I'd want.",
    );
    let matches = dir.index.match_services(&neil);
    assert!(
        rank(&neil, 101) < rank(&neil, 100) && rank(&neil, 100).is_some(),
        "{matches:?}"
    );
    let group = matches.iter().find(|m| m.id == id(100)).unwrap();
    assert!(
        group.cautions.iter().any(|c| c.contains("don't do groups")),
        "{group:?}"
    );
    // Without those words the group nearer home comes first.
    let other = person(vec![(Need::MentalHealth, 4)], "");
    assert!(
        rank(&other, 100) < rank(&other, 101),
        "{:?}",
        dir.index.match_services(&other)
    );
    // Done the rehab: the class for after it first.
    let gary = person(
        vec![(Need::LongTermConditions, 3), (Need::PhysicalActivity, 3)],
        "Had the heart attack in July, done the cardiac rehab and now nothing. I want to get fit again.",
    );
    let matches = dir.index.match_services(&gary);
    assert!(rank(&gary, 103) < rank(&gary, 102), "{matches:?}");
    let rehab = matches.iter().find(|m| m.id == id(102)).expect("the rehab");
    assert!(
        rehab
            .cautions
            .iter()
            .any(|c| c.contains("done the cardiac rehab")),
        "{rehab:?}"
    );
    // Stopping drinking: never the quiz in the pub, which a quiz lover is offered.
    let lee = MatchProfile {
        interest_words: vec!["quizzes".into()],
        ..person(
            vec![(Need::SubstanceUse, 4), (Need::Loneliness, 3)],
            "The drink has got a hold of me.",
        )
    };
    assert_eq!(rank(&lee, 110), None);
    let quizzer = MatchProfile {
        interest_words: vec!["quizzes".into()],
        ..person(vec![(Need::Loneliness, 3)], "")
    };
    assert!(rank(&quizzer, 110).is_some());
    // Who they are answers their loneliness: the LGBTQ+ social before the lunch club nearer.
    let ellie = person(
        vec![(Need::Loneliness, 4)],
        "Mum and dad think I'll grow out of being gay. I don't have anyone who gets it.",
    );
    assert!(
        rank(&ellie, 104) < rank(&ellie, 105),
        "{:?}",
        dir.index.match_services(&ellie)
    );
    // Missing male company counts for the men-only choir, as a men's group: it ranks
    // higher than for a man who does not say so.
    let score = |p: &MatchProfile| {
        dir.index
            .match_services(p)
            .iter()
            .find(|m| m.id == id(106))
            .map(|m| m.score)
    };
    let steve = MatchProfile {
        sex: Some(Sex::Male),
        ..person(
            vec![(Need::Loneliness, 3)],
            "I haven't had a proper conversation with another bloke in months.",
        )
    };
    let quiet = MatchProfile {
        what_matters: String::new(),
        ..steve.clone()
    };
    assert!(
        score(&steve) > score(&quiet),
        "{:?} {:?}",
        score(&steve),
        score(&quiet)
    );
    // A husband caring for a wife with diabetes: carers' support, not dementia carers'.
    let husband = person(
        vec![(Need::Carer, 3)],
        "Since her diabetes got worse I look after her full time.",
    );
    assert!(rank(&husband, 108) < rank(&husband, 107) || rank(&husband, 107).is_none());
    let matches = dir.index.match_services(&husband);
    assert!(
        matches
            .iter()
            .find(|m| m.id == id(107))
            .is_none_or(|m| m.cautions.iter().any(|c| c.contains("Made for"))),
        "{matches:?}"
    );
    // A 15-year-old searching for counselling is not offered couples counselling.
    let teen = SearchQuery {
        age: Some(15.0),
        ..words("counselling")
    };
    assert!(!found(&dir, &teen).contains(&id(109)));
    assert!(found(&dir, &words("counselling")).contains(&id(109)));
    // What is local: from the village, the town 12 km away; in the town, under 2 km.
    let reach = dir.index.local_reach_m(village).unwrap();
    assert!(reach > 12_000.0 && reach < 20_000.0, "{reach}");
    assert!(dir.index.local_reach_m(HOME).unwrap() < 2_000.0);
}

/// What a search's words say about the person it is for, beside what they look for: a
/// teenager, when they can go, that they need no steps, what they can pay, that they will
/// refer themselves, and the place they want it in.
pub async fn what_a_search_says_about_who_it_is_for(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let at = |n: u32, name: &str, description: &str, k: f64, access: Option<&str>| {
        service(n, name, description, None, None, near(k), access, "active")
    };
    let with = |mut s: Value, key: &str, v: Value| {
        s[key] = v;
        s
    };
    let weekly = |n: u32, day: &str, opens: &str| {
        json!([{"id": id(6000 + n), "service_id": id(n), "freq": "WEEKLY", "interval": 1,
            "byday": day, "opens_at": opens}])
    };
    let charge = |n: u32, amount: f64| json!([{"id": id(7000 + n), "service_id": id(n), "option": "Charge", "amount": amount}]);
    let town = |mut s: Value, city: &str| {
        s["service_at_locations"][0]["location"]["addresses"] = json!([{
            "id": id(8000 + s["id"].as_str().unwrap()[24..].parse::<u32>().unwrap()),
            "address_1": "1 High Street", "city": city, "state_province": "Elseshire", "postal_code": "XX1 1XX",
            "country": "GB", "address_type": "physical"}]);
        s
    };
    let village = |k: f64| Some((HOME.0 - k * 0.009, HOME.1));
    let services = vec![
        // Drugs: a recovery café for anyone, nearer, and the young people's service.
        at(
            200,
            "Recovery Cafe",
            "A friendly café for people in recovery from drugs or alcohol.",
            0.2,
            None,
        ),
        with(
            at(
                201,
                "Young People's Substance Misuse Service",
                "Confidential help for young people worried about drugs or alcohol.",
                1.5,
                None,
            ),
            "maximum_age",
            json!(18),
        ),
        // Alcohol support: a daytime drop-in nearer, and an evening meeting.
        with(
            at(
                202,
                "Alcohol Support Drop-in",
                "Support for people cutting down on alcohol.",
                0.3,
                None,
            ),
            "schedules",
            weekly(202, "TU", "10:00"),
        ),
        with(
            at(
                203,
                "Alcohol Support Meeting",
                "Support for people cutting down on alcohol.",
                4.0,
                None,
            ),
            "schedules",
            weekly(203, "WE", "18:30"),
        ),
        // Exercise: a class up a staircase, nearer, and one that is step-free.
        at(
            204,
            "Upstairs Exercise Class",
            "An exercise class to music.",
            0.2,
            Some("First floor, reached by stairs - there is no lift"),
        ),
        at(
            205,
            "Seated Exercise Class",
            "An exercise class, mostly seated.",
            1.6,
            Some("Step-free access"),
        ),
        // Counselling: a paid service nearer, and a free one.
        with(
            at(
                206,
                "Private Counselling",
                "Counselling for anxiety and stress, one to one.",
                0.2,
                None,
            ),
            "cost_options",
            charge(206, 40.0),
        ),
        at(
            207,
            "Community Counselling",
            "Counselling for anxiety and stress, one to one.",
            1.7,
            None,
        ),
        // Lunch clubs: one in town, one in a village 8 km away.
        town(
            at(
                208,
                "Town Lunch Club",
                "A hot lunch and company.",
                0.5,
                None,
            ),
            "Elsetown",
        ),
        town(
            service(
                209,
                "Village Lunch Club",
                "A hot lunch and company.",
                None,
                None,
                village(8.0),
                None,
                "active",
            ),
            "Brackenby",
        ),
        town(
            at(210, "Town Library", "Books and computers.", 0.4, None),
            "Elsetown",
        ),
        town(
            service(
                211,
                "Brackenby Village Walk",
                "A weekly walk round Brackenby.",
                None,
                None,
                village(8.1),
                None,
                "active",
            ),
            "Brackenby",
        ),
    ];
    let dir = network(store, services).await;
    let first = |q: &SearchQuery| found(&dir, q).first().cloned();
    let before = |q: &SearchQuery, a: u32, b: u32| {
        let ids = found(&dir, q);
        let at = |n: u32| ids.iter().position(|x| *x == id(n));
        assert!(
            at(a).is_some() && at(a) < at(b).or(Some(usize::MAX)),
            "{} before {} for {:?}: {ids:?}",
            a,
            b,
            q.text
        );
    };
    // Without the words, the nearer service first, as ever.
    assert_eq!(first(&words("drugs")), Some(id(200)));
    // A 16-year-old (the form's age, or the words'): the young people's service first.
    let teen = SearchQuery {
        age: Some(16.0),
        ..words("drugs")
    };
    assert_eq!(first(&teen), Some(id(201)));
    before(&words("drugs help for a 15 year old"), 201, 200);
    // Evenings: the evening meeting before the nearer daytime drop-in.
    assert_eq!(first(&words("alcohol support")), Some(id(202)));
    before(&words("alcohol support evenings"), 203, 202);
    // A wheelchair user: never the class up the stairs.
    assert_eq!(first(&words("exercise class")), Some(id(204)));
    let wheelchair = found(&dir, &words("exercise class wheelchair user"));
    assert_eq!(wheelchair.first(), Some(&id(205)), "{wheelchair:?}");
    assert!(!wheelchair.contains(&id(204)), "{wheelchair:?}");
    // The public feed keeps it, last: its consumers filter for themselves.
    let public = found(
        &dir,
        &SearchQuery {
            public_only: true,
            ..words("exercise class wheelchair user")
        },
    );
    assert_eq!(public.first(), Some(&id(205)), "{public:?}");
    assert!(public.contains(&id(204)), "{public:?}");
    // Free: the free counselling before the nearer paid one.
    assert_eq!(first(&words("counselling anxiety")), Some(id(206)));
    before(&words("free counselling anxiety"), 207, 206);
    before(&words("cheap counselling anxiety"), 207, 206);
    // A place named, without a postcode: its lunch club first, and its other services are
    // not found for its name alone.
    let no_postcode = |text: &str| SearchQuery {
        text: text.into(),
        ..Default::default()
    };
    assert_eq!(
        first(&no_postcode("lunch club in Brackenby")),
        Some(id(209))
    );
    assert!(!found(&dir, &no_postcode("lunch club in Brackenby")).contains(&id(211)));
    // With a postcode, distances are still from it.
    let from_home = dir.search(&words("lunch club brackenby")).unwrap();
    let town_club = from_home
        .iter()
        .find(|h| h.id == id(208))
        .expect("the town's club");
    assert!(
        town_club.distance_m.is_some_and(|d| d < 1_000.0),
        "{from_home:?}"
    );
    // The place alone is a search for its name.
    assert_eq!(first(&no_postcode("brackenby")), Some(id(211)));
}

/// Words said in passing about someone's life are not wishes; what a listing's description
/// says its people have been through is who it is for; a partner's own account of abuse, and
/// coercive control told by the one it is done to, are read; a search from someone Deaf
/// leaves telephone-only services out.
pub async fn what_is_said_in_passing_and_who_a_listing_is_for(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let at = |n: u32, name: &str, description: &str, eligibility: Option<&str>, k: f64| {
        service(
            n,
            name,
            description,
            eligibility,
            None,
            near(k),
            None,
            "active",
        )
    };
    let services = vec![
        at(
            300,
            "Job Club",
            "Help finding work: CVs, applications and interview practice.",
            None,
            0.2,
        ),
        at(
            301,
            "Lunch Club",
            "A hot lunch and good company every Wednesday.",
            None,
            0.8,
        ),
        at(
            302,
            "Employment Support for Health Conditions",
            "One-to-one employment support for people whose health makes work difficult.",
            None,
            0.3,
        ),
        at(
            303,
            "Living Well Group",
            "A peer support group for people living with a long-term health condition.",
            None,
            0.6,
        ),
        at(
            304,
            "Heart Club Exercise Class",
            "Weekly supervised exercise for people who have finished cardiac rehab.",
            None,
            0.1,
        ),
        at(
            305,
            "Exercise Class",
            "A gentle exercise class to music.",
            None,
            1.0,
        ),
        at(
            306,
            "Respectful Relationships Course",
            "A programme for men who want to change abusive behaviour towards a partner.",
            Some("Men who have been abusive to a partner"),
            0.5,
        ),
        service(
            307,
            "Advice Line",
            "Phone advice on benefits, debt and housing, and help with letters.",
            None,
            None,
            None,
            None,
            "active",
        ),
        at(
            308,
            "Deaf Advice Service",
            "Advice on benefits and help with letters for Deaf people, in BSL.",
            None,
            1.0,
        ),
        at(
            309,
            "Domestic Abuse Support",
            "Confidential support for people experiencing domestic abuse.",
            None,
            1.0,
        ),
        at(
            310,
            "Active Living Scheme",
            "A 12-week supported exercise scheme for adults with health conditions such as diabetes, arthritis or depression.",
            None,
            0.7,
        ),
    ];
    let dir = network(store, services).await;
    let person = |age: f64, needs: Vec<(Need, u8)>, words: &str| MatchProfile {
        age: Some(age),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 10,
        needs,
        what_matters: words.into(),
        ..Default::default()
    };
    let rank = |p: &MatchProfile, n: u32| {
        dir.index
            .match_services(p)
            .iter()
            .position(|m| m.id == id(n))
    };
    let score = |p: &MatchProfile, n: u32| {
        dir.index
            .match_services(p)
            .iter()
            .find(|m| m.id == id(n))
            .map_or(0.0, |m| m.score)
    };
    // Work said in passing is not a wish for a job club; wanting work is.
    let lonely = |words: &str| person(45.0, vec![(Need::Loneliness, 3)], words);
    assert_eq!(
        score(&lonely("I don't know anyone outside work."), 300),
        score(&lonely(""), 300)
    );
    assert!(
        score(&lonely("I lost my job and I'm looking for work."), 300) > score(&lonely(""), 300)
    );
    // Not looking for work, at any age: help into work ranks as made for others, after
    // what helps with their condition; their words asking for work lift it.
    let health = |age: f64| person(age, vec![(Need::LongTermConditions, 3)], "");
    assert!(score(&health(55.0), 302) > 0.0);
    assert!(
        rank(&health(55.0), 310).is_some() && rank(&health(55.0), 310) < rank(&health(55.0), 302)
    );
    let wants_work = person(
        55.0,
        vec![(Need::LongTermConditions, 3)],
        "I want to get back to work.",
    );
    assert!(
        score(&wants_work, 302) > 2.0 * score(&health(55.0), 302),
        "{} {}",
        score(&wants_work, 302),
        score(&health(55.0), 302)
    );
    // Unless they are looking for work.
    let working = |age: f64| {
        person(
            age,
            vec![(Need::LongTermConditions, 3), (Need::Employment, 3)],
            "",
        )
    };
    assert_eq!(score(&working(75.0), 302), score(&working(55.0), 302));
    // "For people who have finished cardiac rehab" is who the class is for: not someone
    // who only wants to get fitter, in matching or in search.
    let fitter = person(
        45.0,
        vec![(Need::PhysicalActivity, 3)],
        "I want to get fitter.",
    );
    assert!(
        rank(&fitter, 305).is_some()
            && rank(&fitter, 305) < rank(&fitter, 304).or(Some(usize::MAX)),
        "{:?}",
        dir.index.match_services(&fitter)
    );
    let classes = found(&dir, &words("exercise class"));
    let pos = |n: u32| classes.iter().position(|x| *x == id(n));
    assert!(
        pos(305).is_some() && pos(304).is_some() && pos(305) < pos(304),
        "{classes:?}"
    );
    // Conditions given as examples: the scheme is for anyone with a long-term condition, not
    // made only for those three (someone with bad lungs is among its people).
    let lungs = person(
        60.0,
        vec![(Need::LongTermConditions, 3), (Need::PhysicalActivity, 3)],
        "My lungs are bad and I want to get moving.",
    );
    let matches = dir.index.match_services(&lungs);
    let scheme = matches
        .iter()
        .find(|m| m.id == id(310))
        .expect("the scheme");
    assert!(
        !scheme.cautions.iter().any(|c| c.contains("Made for")),
        "{scheme:?}"
    );
    // A man owning what he did to his ex is among the programme's people; without those
    // words he is not.
    let man = |words: &str| MatchProfile {
        sex: Some(Sex::Male),
        ..person(38.0, vec![(Need::Relationships, 4)], words)
    };
    assert!(rank(
        &man("I was out of order with my ex. I went through her phone."),
        306
    )
    .is_some());
    assert_eq!(rank(&man("Things with my ex are hard."), 306), None);
    // Coercive control in her own words: domestic abuse support first.
    let her = |words: &str| MatchProfile {
        sex: Some(Sex::Female),
        ..person(38.0, vec![(Need::Financial, 3)], words)
    };
    let told = her("My husband keeps my bank card and reads all my messages.");
    assert_eq!(
        rank(&told, 309),
        Some(0),
        "{:?}",
        dir.index.match_services(&told)
    );
    assert!(rank(&her("Money is tight."), 309).is_none_or(|r| r > 0));
    // Deaf: the telephone-only line left out of staff search, last in the public feed.
    let deaf = found(&dir, &words("bsl help with letters"));
    assert_eq!(deaf.first(), Some(&id(308)), "{deaf:?}");
    assert!(!deaf.contains(&id(307)), "{deaf:?}");
    assert!(found(&dir, &words("help with letters")).contains(&id(307)));
    let public = found(
        &dir,
        &SearchQuery {
            public_only: true,
            ..words("bsl help with letters")
        },
    );
    assert_eq!(public.last(), Some(&id(307)), "{public:?}");
    // The search page says what it read from the words.
    let read = dir.index.read_about(&words("bsl help with letters"));
    assert!(
        read.iter().any(|r| r.starts_with("Deaf or no telephone")),
        "{read:?}"
    );
    let read = dir.index.read_about(&words("exercise class for over 60s"));
    assert!(
        read.iter().any(|r| r.starts_with("older people")),
        "{read:?}"
    );
    let read = dir.index.read_about(&words("over 60s"));
    assert!(
        !read.iter().any(|r| r.starts_with("older people")),
        "{read:?}"
    );
}

pub async fn a_language_named_and_words_said_in_between(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let at = |n: u32, name: &str, description: &str, k: f64| {
        service(n, name, description, None, None, near(k), None, "active")
    };
    let mut evening = at(
        400,
        "Community Evening",
        "A monthly evening with tea and a chat, and help with forms.",
        0.5,
    );
    evening["languages"] = json!([
        {"id": id(480), "service_id": id(400), "name": "Lithuanian", "code": "lt"},
        {"id": id(481), "service_id": id(400), "name": "English", "code": "en"}
    ]);
    let mut community = at(
        410,
        "Portuguese Community Support",
        "Help in Portuguese with forms and GP appointments for Portuguese-speaking families.",
        1.5,
    );
    community["languages"] = json!([
        {"id": id(483), "service_id": id(410), "name": "Portuguese", "code": "pt"},
        {"id": id(484), "service_id": id(410), "name": "English", "code": "en"}
    ]);
    let mut school = at(
        411,
        "Lithuanian Saturday School",
        "Saturday classes in Lithuanian language and culture for children of Lithuanian families.",
        0.3,
    );
    school["languages"] = json!([
        {"id": id(485), "service_id": id(411), "name": "Lithuanian", "code": "lt"}
    ]);
    let services = vec![
        evening,
        community,
        school,
        at(
            412,
            "Debt Advice",
            "Free, confidential debt advice: we deal with creditors and bailiffs for you.",
            1.2,
        ),
        at(
            401,
            "Evening Drop-in",
            "A weekly evening drop-in with tea and a chat, and help with forms.",
            0.2,
        ),
        at(
            402,
            "Talking Therapies",
            "Free NHS talking therapies for low mood and anxiety.",
            0.6,
        ),
        at(
            403,
            "Memory Cafe",
            "For people living with memory problems or dementia and their families.",
            0.7,
        ),
        at(
            404,
            "Home Energy Advice",
            "Help with gas and electricity bills, fuel debt and keeping warm.",
            0.3,
        ),
        service(
            405,
            "Listening Line",
            "A telephone befriending line: volunteers ring you for a chat every week.",
            None,
            None,
            None,
            None,
            "active",
        ),
        at(
            406,
            "Coffee Morning",
            "A friendly coffee morning to meet people and make friends.",
            0.9,
        ),
        at(
            407,
            "English Classes (ESOL)",
            "Free English classes for speakers of other languages.",
            0.4,
        ),
        at(
            408,
            "LGBTQ+ Meet Ups",
            "Weekly LGBTQ+ meet ups for young people aged 11 to 17.",
            0.2,
        ),
        at(
            409,
            "Rainbow Social",
            "A monthly LGBTQ+ social with coffee and cake.",
            0.8,
        ),
    ];
    let dir = network(store, services).await;
    // Asked for in Lithuanian, in Lithuanian: the evening held in it first, and the page says so.
    let lt = found(&dir, &words("pagalba lietuviskai su dokumentais"));
    assert_eq!(lt.first(), Some(&id(400)), "{lt:?}");
    let read = dir
        .index
        .read_about(&words("pagalba lietuviskai su dokumentais"));
    assert!(
        read.iter()
            .any(|r| r == "in Lithuanian: services offered in it first"),
        "{read:?}"
    );
    // "help with forms lithuanian": of two drop-ins that help with forms, the one held in
    // Lithuanian first.
    let forms = found(&dir, &words("help with forms lithuanian"));
    let pos = |list: &[String], n: u32| list.iter().position(|x| *x == id(n));
    assert!(pos(&forms, 400) < pos(&forms, 401), "{forms:?}");
    // Their language named beside what they ask for: debt advice first, not the Lithuanian
    // school for being a Lithuanian community group.
    let debt = found(&dir, &words("debt advice lithuanian speaker"));
    assert_eq!(debt.first(), Some(&id(412)), "{debt:?}");
    assert!(pos(&debt, 411).is_none_or(|p| p > 0), "{debt:?}");
    // Learning English, the language named is theirs: English classes, not services in it.
    let esol = words("english classes lithuanian");
    assert_eq!(found(&dir, &esol).first(), Some(&id(407)));
    assert!(!dir
        .index
        .read_about(&esol)
        .iter()
        .any(|r| r.starts_with("in Lithuanian")));
    // A word put in between ("feeling really down") does not hide the phrase.
    let down = found(
        &dir,
        &words("pregnant and feeling really down all the time"),
    );
    assert_eq!(down.first(), Some(&id(402)), "{down:?}");
    // Leaving the gas on is a memory worry, not fuel bills: the memory cafe first.
    let gas = found(
        &dir,
        &words("my nan keeps forgetting things and left the gas on again"),
    );
    assert_eq!(gas.first(), Some(&id(403)), "{gas:?}");
    // (The energy advice names gas, so the words still find it: below.)
    assert!(pos(&gas, 404).is_none_or(|p| p > 0), "{gas:?}");
    // "for grown ups": the social before the meet ups for 11-17s (which the same words find
    // first without it), and the page says why.
    let grown = words("lgbtq meet ups for grown ups");
    let lgbt = found(&dir, &grown);
    assert!(
        pos(&lgbt, 409).is_some() && pos(&lgbt, 409) < pos(&lgbt, 408),
        "{lgbt:?}"
    );
    let youth = found(&dir, &words("lgbtq meet ups"));
    assert_eq!(youth.first(), Some(&id(408)), "{youth:?}");
    assert!(dir
        .index
        .read_about(&grown)
        .iter()
        .any(|r| r.starts_with("an adult")));
    // They said they cannot face the phone: the telephone line ranks lower, with a caution.
    let lonely = |words: &str| MatchProfile {
        age: Some(30.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 10,
        needs: vec![(Need::Loneliness, 4)],
        what_matters: words.into(),
        ..Default::default()
    };
    let line = |p: &MatchProfile| {
        dir.index
            .match_services(p)
            .into_iter()
            .find(|m| m.id == id(405))
            .expect("the line")
    };
    // A community group held in their language is theirs (a Portuguese speaker's), though
    // nothing else in it answers their needs; not someone else's (a Lithuanian speaker's).
    let speaking = |lang: &str| {
        dir.index
            .match_services(&MatchProfile {
                language: Some(lang.into()),
                needs: vec![(Need::DomesticAbuse, 5), (Need::Financial, 3)],
                ..lonely("I want to learn better English.")
            })
            .into_iter()
            .map(|m| m.id)
            .collect::<Vec<_>>()
    };
    assert!(speaking("pt").contains(&id(410)), "{:?}", speaking("pt"));
    assert!(!speaking("lt").contains(&id(410)), "{:?}", speaking("lt"));
    let phones = line(&lonely("I'd like to meet people."));
    let cannot = line(&lonely(
        "I'd like to meet people but I can't even do the phone right now.",
    ));
    assert!(cannot.score < phones.score, "{cannot:?} {phones:?}");
    assert!(
        cannot
            .cautions
            .iter()
            .any(|c| c.starts_with("By telephone only")),
        "{cannot:?}"
    );
    assert!(!phones
        .cautions
        .iter()
        .any(|c| c.starts_with("By telephone only")));
}

/// A partner's violence said in the words people use, a service only for a hospice's
/// families, a search that says it is about a grown-up, and a venue also used by phone.
pub async fn who_is_hurt_who_a_service_is_for_and_how_it_reaches_them(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let at = |n: u32, name: &str, description: &str, eligibility: Option<&str>, k: f64| {
        service(
            n,
            name,
            description,
            eligibility,
            None,
            near(k),
            None,
            "active",
        )
    };
    let mut young_carers = at(
        414,
        "Young Carers Group",
        "Fun, trips and a break from caring, for young carers who look after someone at home.",
        None,
        0.1,
    );
    young_carers["minimum_age"] = json!(8);
    young_carers["maximum_age"] = json!(17);
    let mut children = at(
        418,
        "Children's Grief Group",
        "Bereavement support for children and young people aged 5 to 16.",
        None,
        0.3,
    );
    children["minimum_age"] = json!(5);
    children["maximum_age"] = json!(16);
    let services = vec![
        at(
            410,
            "Domestic Abuse Outreach",
            "Confidential support for anyone experiencing domestic abuse, women and men.",
            None,
            0.9,
        ),
        at(
            411,
            "Sequence Dancing",
            "Dance with a partner every Tuesday afternoon.",
            None,
            0.1,
        ),
        at(
            412,
            "Bereavement Drop-in",
            "A friendly drop-in for anyone who has lost someone.",
            None,
            0.8,
        ),
        at(
            413,
            "Hospice Bereavement Counselling",
            "Bereavement counselling and bereavement support groups after a death.",
            Some("Families of St Elsewhere's Hospice patients only"),
            0.2,
        ),
        young_carers,
        children,
        at(
            415,
            "Carers Support",
            "Support, advice and a break for unpaid carers looking after someone.",
            None,
            0.9,
        ),
        at(
            416,
            "Listening Support",
            "Someone to listen when you are grieving, in our rooms or by phone.",
            None,
            15.0,
        ),
        at(
            417,
            "Grief Circle",
            "A monthly circle for people who are grieving, at the chapel hall.",
            None,
            15.0,
        ),
    ];
    let dir = network(store, services).await;
    let pos = |list: &[String], n: u32| list.iter().position(|x| *x == id(n));
    // A man hurt by his wife: the domestic abuse service, not the dance with a partner.
    for said in ["man being punched by his wife", "his girlfriend hits him"] {
        let hurt = found(&dir, &words(said));
        assert_eq!(hurt.first(), Some(&id(410)), "{said}: {hurt:?}");
    }
    // His wife died at home: the drop-in for anyone before the hospice families' service.
    let home = found(
        &dir,
        &words("bereavement counselling, his wife died at home"),
    );
    assert!(
        pos(&home, 412).is_some() && pos(&home, 412) < pos(&home, 413),
        "{home:?}"
    );
    // A widower is grown up: the children's group is not listed for him at all (ranked
    // down for being only for under-18s, it is far below the best), though the same words
    // without "widower" list it.
    let widower = found(&dir, &words("widower, bereavement support"));
    assert!(pos(&widower, 412).is_some(), "{widower:?}");
    assert_eq!(pos(&widower, 418), None, "{widower:?}");
    assert!(
        pos(&found(&dir, &words("bereavement support")), 418).is_some(),
        "children's group"
    );
    // She died at the hospice, and he is "not coping": that "not" does not deny it, and the
    // hospice's own counselling comes first.
    let hospice = found(
        &dir,
        &words("wife died at st elsewheres and he is not coping"),
    );
    assert_eq!(hospice.first(), Some(&id(413)), "{hospice:?}");
    // A death by suicide is not one a hospice cared for: its families' service is not
    // listed, nor proposed; the drop-in for anyone is.
    let sudden = found(&dir, &words("son took his own life, parents need support"));
    // (The son who died is not who asks: the children's group is not first.)
    assert_eq!(sudden.first(), Some(&id(412)), "{sudden:?}");
    assert_eq!(pos(&sudden, 413), None, "{sudden:?}");
    let grieving = |what: &str| {
        dir.index
            .match_services(&MatchProfile {
                age: Some(55.0),
                near: Some(HOME),
                max_distance_m: 10_000.0,
                limit: 10,
                needs: vec![(Need::Bereavement, 4)],
                what_matters: what.into(),
                ..Default::default()
            })
            .into_iter()
            .map(|m| m.id)
            .collect::<Vec<_>>()
    };
    let lost = grieving("Our son took his own life in the spring.");
    assert!(!lost.contains(&id(413)), "{lost:?}");
    assert!(lost.contains(&id(412)), "{lost:?}");
    let long = grieving("My wife died in March after a long illness.");
    assert!(long.contains(&id(413)), "{long:?}");
    // A husband caring for his wife is a grown-up: carers' support before the group for
    // young carers (which a teenager's words find first, being nearer). Words that say
    // nothing of age list it after too: most who search are grown up.
    let grown = found(&dir, &words("husband caring for his wife needs a break"));
    assert_eq!(grown.first(), Some(&id(415)), "{grown:?}");
    let teen = found(&dir, &words("15 year old caring for someone needs a break"));
    assert_eq!(teen.first(), Some(&id(414)), "{teen:?}");
    let anyone = found(&dir, &words("caring for someone needs a break"));
    assert_eq!(anyone.first(), Some(&id(415)), "{anyone:?}");
    // Someone caring for a person with dementia is grown up: the group for young carers is
    // not listed for them.
    let dementia = found(&dir, &words("dementia carer needs a break"));
    assert_eq!(dementia.first(), Some(&id(415)), "{dementia:?}");
    assert_eq!(pos(&dementia, 414), None, "{dementia:?}");
    // Bereaved, and getting anywhere is hard: of two services 15 km away, beyond the 10 km
    // they can travel, the one also used by phone is proposed, without the caution about
    // getting there; the circle at the chapel is not.
    let bereaved = MatchProfile {
        age: Some(80.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 10,
        needs: vec![(Need::Bereavement, 4), (Need::Transport, 4)],
        ..Default::default()
    };
    let matches = dir.index.match_services(&bereaved);
    let by_phone = matches
        .iter()
        .find(|m| m.id == id(416))
        .unwrap_or_else(|| panic!("the listening support: {matches:?}"));
    assert!(
        !by_phone.cautions.iter().any(|c| c.contains("transport")),
        "{by_phone:?}"
    );
    assert!(
        by_phone
            .reasons
            .iter()
            .any(|r| r.starts_with("Also by phone or online")),
        "{by_phone:?}"
    );
    assert!(!matches.iter().any(|m| m.id == id(417)), "{matches:?}");
}

/// Someone at risk is answered first, and a Deaf BSL user is offered where people sign.
pub async fn someone_at_risk_and_someone_who_signs(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let mut deaf_club = service(
        422,
        "Deaf Club",
        "Social evening for Deaf BSL users, their friends and families.",
        None,
        None,
        near(6.0),
        None,
        "active",
    );
    deaf_club["languages"] = json!([{"id": id(482), "service_id": id(422), "name": "British Sign Language", "code": "bfi"}]);
    let services = vec![
        service(
            420,
            "Crisis Line",
            "A mental health crisis line, day and night, for anyone feeling suicidal.",
            None,
            None,
            None,
            None,
            "active",
        ),
        service(
            421,
            "Talking Therapies",
            "Talk to someone: counselling and talking therapies for anxiety and low mood.",
            None,
            None,
            near(0.5),
            None,
            "active",
        ),
        deaf_club,
        service(
            423,
            "Coffee Morning",
            "A friendly coffee morning with tea, cake and a chat.",
            None,
            None,
            near(0.1),
            None,
            "active",
        ),
    ];
    let dir = network(store, services).await;
    // Suicidal, and wanting to talk: the crisis line before talking therapies, though the
    // words "talk to someone" are in the therapies' listing.
    let risk = found(&dir, &words("feeling suicidal need to talk to someone now"));
    assert_eq!(risk.first(), Some(&id(420)), "{risk:?}");
    assert!(risk.contains(&id(421)), "{risk:?}");
    // Lonely, and signs: the Deaf club 6 km away before the coffee morning round the corner,
    // which carries a caution to check an interpreter can be there.
    let deaf = MatchProfile {
        age: Some(61.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        language: Some("bfi".into()),
        limit: 10,
        needs: vec![(Need::Loneliness, 4)],
        ..Default::default()
    };
    let matches = dir.index.match_services(&deaf);
    assert_eq!(
        matches.first().map(|m| m.id.clone()),
        Some(id(422)),
        "{matches:?}"
    );
    let coffee = matches
        .iter()
        .find(|m| m.id == id(423))
        .unwrap_or_else(|| panic!("the coffee morning: {matches:?}"));
    assert!(
        coffee.cautions.iter().any(|c| c.contains("interpreter")),
        "{coffee:?}"
    );
}

/// Advice only for private renters is not proposed to a housing association's tenant, and
/// is to someone who rents privately.
pub async fn advice_for_private_renters_is_for_them(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let services = vec![
        service(
            430,
            "Private Renters' Advice",
            "Free advice if you rent from a private landlord or letting agent: repairs, damp and deposits.",
            None,
            None,
            near(0.2),
            None,
            "active",
        ),
        service(
            431,
            "Housing Advice",
            "Housing advice for anyone: repairs, damp, rent arrears and homelessness.",
            None,
            None,
            near(1.0),
            None,
            "active",
        ),
    ];
    let dir = network(store, services).await;
    let person = |words: &str| MatchProfile {
        age: Some(40.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 10,
        needs: vec![(Need::Housing, 4)],
        what_matters: words.into(),
        ..Default::default()
    };
    let tenant = dir.index.match_services(&person(
        "The damp is awful and Elsewhere Homes won't fix it.",
    ));
    assert!(tenant.iter().any(|m| m.id == id(431)), "{tenant:?}");
    assert!(!tenant.iter().any(|m| m.id == id(430)), "{tenant:?}");
    let private = dir
        .index
        .match_services(&person("I rent privately and the damp is awful."));
    assert_eq!(
        private.first().map(|m| m.id.clone()),
        Some(id(430)),
        "{private:?}"
    );
    // No home of their own to rent: advice for anyone first, though the renters' is nearer.
    let sofa = dir.index.match_services(&person(
        "I'm on my cousin's sofa and need somewhere to live.",
    ));
    assert_eq!(
        sofa.first().map(|m| m.id.clone()),
        Some(id(431)),
        "{sofa:?}"
    );
    let searched = found(
        &dir,
        &words("chucked me out, on a mates sofa, need housing help"),
    );
    assert_eq!(searched.first(), Some(&id(431)), "{searched:?}");
    let renter = found(
        &dir,
        &words("landlord wont fix the damp, need housing help"),
    );
    assert!(renter.contains(&id(430)), "{renter:?}");
}

/// A kind of a broader concept named: a service for the broader people is for them too
/// ("took his own life": a bereavement service, with no service for suicide bereavement),
/// and where the kind has its own services, the broader ones follow them ("men's mental
/// health": the men's shed first, then the mental health group for anyone, before a walk).
pub async fn a_kind_named_and_the_broader_services_for_it(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let services = vec![
        service(
            440,
            "Bereavement Support",
            "Trained volunteers listen, for adults bereaved at any time.",
            None,
            None,
            near(1.5),
            None,
            "active",
        ),
        service(
            441,
            "Lifelong Learning",
            "Courses for adults through life: his, hers, their own pace.",
            None,
            None,
            near(0.2),
            None,
            "active",
        ),
        service(
            442,
            "Men's Shed",
            "A workshop where men make things and talk shoulder to shoulder.",
            Some("Men aged 18 and over"),
            None,
            near(1.5),
            None,
            "active",
        ),
        service(
            443,
            "Peer Support for Low Mood",
            "A peer support group for anyone living with depression or low mood.",
            None,
            None,
            near(0.5),
            None,
            "active",
        ),
        service(
            444,
            "Park Walk",
            "A gentle walk round the park, every Tuesday.",
            None,
            None,
            near(0.1),
            None,
            "active",
        ),
    ];
    let dir = network(store, services).await;
    let grief = found(&dir, &words("son took his own life"));
    assert_eq!(grief.first(), Some(&id(440)), "{grief:?}");
    // Parents here are the bereaved, not people asking for parenting support.
    let parents = found(&dir, &words("son took his own life, parents need support"));
    assert_eq!(parents.first(), Some(&id(440)), "{parents:?}");
    let men = found(&dir, &words("men's mental health"));
    assert_eq!(men.first(), Some(&id(442)), "{men:?}");
    assert_eq!(men.get(1), Some(&id(443)), "{men:?}");
}

/// Someone named who died ("Lost Joan in September") is a bereavement, though the
/// vocabulary reads words in lower case; losing a benefit with a capital is not.
pub async fn a_death_of_someone_named(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let services = vec![
        service(
            450,
            "Bereavement Support",
            "Trained volunteers listen, for adults bereaved at any time.",
            None,
            None,
            near(0.5),
            None,
            "active",
        ),
        service(
            451,
            "Coffee Morning",
            "A friendly coffee morning with a chat and a biscuit.",
            None,
            None,
            near(0.5),
            None,
            "active",
        ),
    ];
    let dir = network(store, services).await;
    let person = |words: &str| MatchProfile {
        age: Some(80.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 10,
        needs: vec![(Need::Loneliness, 3)],
        what_matters: words.into(),
        ..Default::default()
    };
    // The reason shown says it fits what matters to them: a death.
    let fits = |words: &str| {
        dir.index
            .match_services(&person(words))
            .into_iter()
            .find(|m| m.id == id(450))
            .is_some_and(|m| {
                m.reasons
                    .iter()
                    .any(|r| r.starts_with("Fits what matters to them (bereavement"))
            })
    };
    assert!(fits("Lost my wife in September. The days are long."));
    assert!(fits("Lost Joan in September. The days are long."));
    assert!(fits("Since Edna went the days are long."));
    assert!(!fits(
        "Lost Universal Credit in September. The days are long."
    ));
}

/// Who is asking is not what they ask for: "gay bloke, lonely" names a man, and a men's
/// group is not ranked up for it as it is for "men's groups".
pub async fn who_asks_and_what_they_ask_for(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let services = vec![
        service(
            460,
            "Rainbow Social",
            "A friendly social evening for LGBT+ adults who are lonely or new to the area.",
            None,
            None,
            near(1.0),
            None,
            "active",
        ),
        service(
            461,
            "Fans Fitness",
            "Football fans get fitter together: a lonely winter is easier with a team.",
            Some("Men only"),
            None,
            near(1.0),
            None,
            "active",
        ),
    ];
    let dir = network(store, services).await;
    let gay = found(&dir, &words("gay bloke 63 lonely"));
    assert_eq!(gay.first(), Some(&id(460)), "{gay:?}");
    let score = |q: &str| {
        dir.search(&words(q))
            .unwrap()
            .into_iter()
            .find(|h| h.id == id(461))
            .map_or(0.0, |h| h.score)
    };
    // The men's group scores as it would for anyone saying the same...
    let (bloke, person) = (score("gay bloke 63 lonely"), score("gay person 63 lonely"));
    assert!((bloke - person).abs() < 1e-6, "{bloke} against {person}");
    // ...and higher when men together are what the words ask for.
    let (blokes, people) = (
        score("lonely blokes, football"),
        score("lonely people, football"),
    );
    assert!(blokes > 1.1 * people, "{blokes} against {people}");
}

/// A service only for under-18s, for words that say nothing of age, comes after the one for
/// anyone (most who search are grown up), and first for a teenager.
pub async fn under_18s_services_when_no_age_is_said(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let services = vec![
        service(
            470,
            "Young People's Drug and Alcohol Service",
            "Confidential support for under-18s worried about their drinking or drug use.",
            None,
            None,
            near(0.2),
            None,
            "active",
        ),
        service(
            471,
            "Drug and Alcohol Service",
            "Help to cut down or stop drinking or using drugs. Key workers and groups.",
            None,
            None,
            near(1.0),
            None,
            "active",
        ),
    ];
    let dir = network(store, services).await;
    let anyone = found(&dir, &words("drink problems"));
    assert_eq!(anyone.first(), Some(&id(471)), "{anyone:?}");
    let teen = found(&dir, &words("15 year old drink problems"));
    assert_eq!(teen.first(), Some(&id(470)), "{teen:?}");
    // Words about young people are not words that say nothing of age.
    let young = found(&dir, &words("young people drink problems"));
    assert_eq!(young.first(), Some(&id(470)), "{young:?}");
}

/// A carer asking for themselves: the condition names who they care for, so what helps
/// carers comes first ("dementia carer needs a break"). Asked about the condition alone,
/// what is about it comes first.
pub async fn a_carer_asks_for_themselves(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let services = vec![
        service(
            480,
            "Dementia Support Advisers",
            "Dementia advisers help people living with dementia and their families after a diagnosis.",
            None,
            None,
            near(0.2),
            None,
            "active",
        ),
        service(
            481,
            "Carers Support Service",
            "Support for unpaid carers: a break, a listening ear and help with a carer's assessment.",
            None,
            None,
            near(1.0),
            None,
            "active",
        ),
    ];
    let dir = network(store, services).await;
    for typed in [
        "dementia carer needs a break",
        "respite for someone caring for her husband with dementia",
    ] {
        let carer = found(&dir, &words(typed));
        assert_eq!(carer.first(), Some(&id(481)), "{typed}: {carer:?}");
    }
    let condition = found(&dir, &words("dementia support"));
    assert_eq!(condition.first(), Some(&id(480)), "{condition:?}");
    // Someone who has a carer is not one: what is about their condition first.
    let cared_for = found(
        &dir,
        &words("dementia, carer visits daily, wants some support"),
    );
    assert_eq!(cared_for.first(), Some(&id(480)), "{cared_for:?}");
}

/// "Not paying for another slimming club": what charges for it ranks lower, with a
/// caution; what is free for the same need is still theirs.
pub async fn what_they_will_not_pay_for(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let mut paid = service(
        490,
        "Slimming Club",
        "Lose weight with our weekly weigh-in and eating plan.",
        None,
        None,
        near(0.2),
        None,
        "active",
    );
    paid["cost_options"] =
        json!([{"id": id(7490), "service_id": id(490), "option": "Charge", "amount": 6.5}]);
    let services = vec![
        paid,
        service(
            491,
            "Healthy Weight Programme",
            "A free NHS 12-week programme to lose weight and eat well.",
            None,
            None,
            near(1.5),
            None,
            "active",
        ),
        service(
            492,
            "Heart Club",
            "Gentle exercise and a chat for people after a heart attack.",
            None,
            None,
            near(1.0),
            None,
            "active",
        ),
    ];
    let dir = network(store, services).await;
    let person = |words: &str| MatchProfile {
        age: Some(45.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 10,
        needs: vec![(Need::HealthyEating, 3), (Need::LongTermConditions, 3)],
        what_matters: words.into(),
        ..Default::default()
    };
    let refused = dir.index.match_services(&person(
        "I'm not paying for another slimming club, done them all.",
    ));
    assert_eq!(
        refused.first().map(|m| m.id.clone()),
        Some(id(491)),
        "{refused:?}"
    );
    let club = refused.iter().find(|m| m.id == id(490));
    assert!(
        club.is_some_and(|m| m.cautions.iter().any(|c| c.contains("not paying"))),
        "{refused:?}"
    );
    // Refusing the club itself, not only paying for it: both are ranked down, with cautions.
    let refused_club = dir
        .index
        .match_services(&person("I don't want a slimming club, I've done them all."));
    assert_eq!(
        refused_club
            .iter()
            .filter(|m| m.cautions.iter().any(|c| c.contains("slimming club")))
            .count(),
        2,
        "{refused_club:?}"
    );
    // Not a refusal of something offered: "another heart attack" is not a weight service.
    let fear = dir.index.match_services(&person(
        "I don't want another heart attack, I need to lose weight.",
    ));
    let heart = fear.iter().find(|m| m.id == id(492));
    assert!(heart.is_some_and(|m| m.cautions.is_empty()), "{fear:?}");
}

/// Someone who cannot leave home is offered what comes to them before what they would have
/// to get to; an interest they can no longer do is not the first thing offered; and the
/// words of an everyday phrase ("online slots") are read as its concept, not one by one.
pub async fn what_they_can_no_longer_do_and_phrases_read_whole(store: Arc<dyn Storage>) {
    let near = |k: f64| Some((HOME.0 + k * 0.009, HOME.1));
    let services = vec![
        service(
            500,
            "Call Companions",
            "Befriending calls every week from a volunteer, for people who are lonely.",
            None,
            None,
            None,
            None,
            "active",
        ),
        service(
            501,
            "Friendship Lunch Club",
            "A hot lunch and company for people who are lonely or isolated.",
            None,
            None,
            near(1.5),
            None,
            "active",
        ),
        service(
            502,
            "Knit and Natter",
            "Knitting and crochet with a cuppa; come and make friends.",
            None,
            None,
            near(1.0),
            None,
            "active",
        ),
        service(
            503,
            "Get Online: Computer Basics",
            "Learn to get online, use email and shop online safely.",
            None,
            None,
            near(0.5),
            None,
            "active",
        ),
        service(
            505,
            "Aqua Fit",
            "Low-impact exercise to music in the shallow end, kind to the joints.",
            None,
            None,
            near(0.4),
            None,
            "active",
        ),
        service(
            506,
            "Carers Support Service",
            "Support, advice and a break for unpaid carers.",
            None,
            None,
            near(1.1),
            None,
            "active",
        ),
        service(
            504,
            "Gambling Support Group",
            "Peer support for anyone whose gambling has got out of hand.",
            None,
            None,
            near(1.2),
            None,
            "active",
        ),
    ];
    let dir = network(store, services).await;
    let person = |words: &str, interests: &[&str]| MatchProfile {
        age: Some(90.0),
        near: Some(HOME),
        max_distance_m: 10_000.0,
        limit: 10,
        needs: vec![(Need::Loneliness, 4)],
        what_matters: words.into(),
        interest_words: interests.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    let at = |m: &[directory::matching::Match], n: u32| m.iter().position(|x| x.id == id(n));
    // Housebound: the calls come before the lunch club, which says why it is lower.
    let home = dir
        .index
        .match_services(&person("Housebound since her fall in February.", &[]));
    let (calls, lunch) = (at(&home, 500), at(&home, 501));
    assert!(
        calls.is_some() && lunch.is_some() && calls < lunch,
        "{home:?}"
    );
    let lunch = &home[lunch.unwrap_or_default()];
    assert!(
        lunch.cautions.iter().any(|c| c.contains("Housebound")),
        "{:?}",
        lunch.cautions
    );
    // Out and about: the lunch club is not ranked down, and nothing is said of getting there.
    let out = dir
        .index
        .match_services(&person("Lonely since my wife died.", &[]));
    assert!(
        out.iter()
            .all(|m| m.cautions.iter().all(|c| !c.contains("get there"))),
        "{out:?}"
    );
    assert!(
        at(&out, 501).is_some() && at(&out, 501) < at(&out, 500),
        "{out:?}"
    );
    // Knitting as an interest, and knitting they can no longer do.
    let knit = |interest: &str| {
        let m = dir
            .index
            .match_services(&person("Lonely since my wife died.", &[interest]));
        m.iter().find(|x| x.id == id(502)).map(|x| x.score)
    };
    let (still, gone) = (knit("knitting"), knit("knitting but her hands are bad now"));
    assert!(
        still.is_some_and(|s| gone.is_none_or(|g| g < 0.85 * s)),
        "{still:?} {gone:?}"
    );
    // A class in the pool is in the water: refusing the pool refuses it.
    let active = |words: &str| MatchProfile {
        needs: vec![(Need::PhysicalActivity, 3)],
        ..person(words, &[])
    };
    let pool = |words: &str| {
        let m = dir.index.match_services(&active(words));
        m.iter()
            .find(|x| x.id == id(505))
            .map(|x| x.cautions.clone())
    };
    assert!(pool("I will NOT go in a swimming pool.").is_none_or(|c| !c.is_empty()));
    assert_eq!(pool("I want to get fitter."), Some(vec![]));
    // Someone close who lives with an illness: what helps carers is theirs.
    let carer = |words: &str| {
        let m = dir.index.match_services(&person(words, &[]));
        m.iter().position(|x| x.id == id(506))
    };
    let caring = carer("Husband has dementia and keeps trying to go out at night.");
    let not = carer("My neighbour has dementia, I pop round now and then.");
    assert!(
        caring.is_some() && (not.is_none() || caring < not),
        "{caring:?} {not:?}"
    );
    // A search saying they are not one for groups: the calls before the lunch club.
    let order = |text: &str| {
        let f = found(&dir, &words(text));
        let at = |n: u32| f.iter().position(|x| *x == id(n));
        (at(500), at(501))
    };
    let (calls, lunch) = order("widower, lonely but not a groups person");
    assert!(calls.is_some() && calls < lunch, "{calls:?} {lunch:?}");
    let (calls, lunch) = order("widower, lonely");
    assert!(lunch.is_some() && lunch < calls, "{calls:?} {lunch:?}");
    // "online slots" is gambling: the computer course is not listed for it.
    let slots = found(&dir, &words("gambling problem, online slots"));
    assert_eq!(slots.first(), Some(&id(504)), "{slots:?}");
    assert!(!slots.contains(&id(503)), "{slots:?}");
    // "online" said on its own still finds the course.
    assert!(found(&dir, &words("help to get online")).contains(&id(503)));
}

storage_tests::on_both_engines!(
    what_they_can_no_longer_do_and_phrases_read_whole,
    what_they_will_not_pay_for,
    a_carer_asks_for_themselves,
    under_18s_services_when_no_age_is_said,
    who_asks_and_what_they_ask_for,
    a_death_of_someone_named,
    a_kind_named_and_the_broader_services_for_it,
    advice_for_private_renters_is_for_them,
    someone_at_risk_and_someone_who_signs,
    who_is_hurt_who_a_service_is_for_and_how_it_reaches_them,
    a_language_named_and_words_said_in_between,
    what_is_said_in_passing_and_who_a_listing_is_for,
    what_a_search_says_about_who_it_is_for,
    what_their_words_say_about_how_they_want_help,
    what_a_service_is_and_who_it_is_for_are_read_rightly,
    a_person_is_offered_what_is_theirs_and_what_they_asked_for,
    services_for_one_place_are_for_the_people_there,
    every_main_need_is_answered_near_the_top,
    matching_weighs_how_they_get_about,
    everyday_words_find_a_foreign_directory,
    matching_reads_the_whole_person,
    matching_knows_who_a_service_is_for,
    misspelt_words_are_read_as_meant,
    the_match_page_can_say_what_was_left_out_and_why
);
