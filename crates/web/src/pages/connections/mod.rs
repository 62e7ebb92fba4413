//! Connecting people to community services and closing the loop: matching from the
//! person's page, signposting or referring (with recorded consent and only the agreed
//! details shared), the link worker's "waiting on partners" list, and the partner's own
//! view of the referrals addressed to their organisation.

use super::journey::{latest, load, RecordForm};
use super::{flash, see_other, DoneQuery};
use crate::auth::Auth;
use crate::form::FormData;
use crate::views::{self, datetime, Field, Opt, PageCtx, Section};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{Duration, Utc};
use directory::matching::Filter;
use directory::{Match, MatchProfile};
use domain::person::Sex;
use domain::{
    AccessFeature, Assessment, Code, ConnectionKind, ConnectionReason, ConnectionStatus,
    FieldErrors, RecordKind, Role, Side, TimeOfDay, Weekday,
};
use serde::Deserialize;
use storage::{
    Connection, ConnectionScope, Episode, NewConnection, Person, SharedDetails, StatusChange,
    StorageError,
};

mod matching;
mod partner;
mod refer;
mod status;
mod waiting;

pub use matching::*;
pub use partner::*;
pub use refer::*;
pub use status::*;
pub use waiting::*;
