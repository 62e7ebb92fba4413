//! A synthetic VCSE network's ORUK 3.0 feed, published under its own taxonomy ("Drink &
//! Drugs", "Getting Together", "Memory" …) and imported through the ordinary ORUK import, so
//! the demo shows services Linkwork classified itself: drug and alcohol services, a men's
//! shed, a lunch club up a flight of stairs, telephone befriending with a service area, a
//! women-only walk in English and Urdu, a youth drop-in for 11–18s, an evening crisis café
//! and a paused art group.
//! Every name, address and number in it is made up (phones in Ofcom's drama range).

use anyhow::Result;
use directory::{Directory, Listing};
use storage::Actor;

const FEED: &[u8] = include_bytes!("partner_feed.json");

/// Imports the feed; returns how many services it added.
pub async fn import(dir: &Directory, actor: &Actor) -> Result<u64> {
    let parsed =
        directory::parse_json(FEED).map_err(|m| anyhow::anyhow!("the demo partner feed is {m}"))?;
    let counts = dir
        .import(
            &parsed,
            "North Leeds Wellbeing Network feed (demo)",
            &Listing::default(),
            actor,
        )
        .await?;
    Ok(counts.created)
}
