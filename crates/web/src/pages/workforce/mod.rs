//! Workforce for managers: link workers' employment records, the ARRS reimbursement claim
//! per month and year (with exports), and the maximum reimbursable amounts per financial
//! year that administrators keep. Also the alerts the dashboard shows (supervision
//! overdue, training not met, employment missing).

use super::journey::RecordForm;
use super::{flash, see_other, DoneQuery};
use crate::auth::Auth;
use crate::views::{self, date, error_items, Field, Opt, PageCtx, Section};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use domain::workforce::{format_pounds, format_wte, month_claim, parse_pounds, Compliance};
use domain::{
    Code, EmployerKind, EmploymentDraft, FieldErrors, FinancialYear, MonthClaim, Role,
    SupervisionKind,
};
use reports::{Cell, Table};
use serde::Deserialize;
use storage::{ArrsCap, EmploymentRecord, StorageError};

mod alerts;
mod arrs;
mod caps;
mod employment;
mod list;

pub(crate) use alerts::*;
pub use arrs::*;
pub use caps::*;
pub use employment::*;
pub use list::*;

async fn require(state: &AppState, auth: &Auth, action: &str) -> Result<i64, AppError> {
    auth.require(state, auth.user.role.can_manage_workforce(), action)
        .await?;
    auth.pcn()
}

async fn link_workers(state: &AppState, pcn: i64) -> Result<Vec<storage::User>, AppError> {
    Ok(state
        .store
        .list_users(Some(pcn))
        .await?
        .into_iter()
        .filter(|u| u.role == Role::LinkWorker)
        .collect())
}
