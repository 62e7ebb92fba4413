//! Changing a connection's status.

use super::*;

/// The link worker cancels a referral, or records the organisation's answer when the
/// organisation has no Linkwork account.
pub async fn status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_triage(), "connection.status")
        .await?;
    let change = change_from(&form, Side::LinkWorker)?;
    let c = change_status(&state, &auth, id, form.i64("version")?, &change).await?;
    Ok(see_other(&format!(
        "/people/{}?done=connection",
        c.person_id
    )))
}

/// Applies the link worker's change to a connection of their PCN that they need to know
/// about, if `version` is the one they read. The pages and the API both change it here.
pub(crate) async fn change_status(
    state: &AppState,
    auth: &Auth,
    id: i64,
    version: i64,
    change: &StatusChange,
) -> Result<Connection, AppError> {
    let pcn = auth.pcn()?;
    if let Some(c) = state
        .store
        .get_connection(ConnectionScope::Pcn(pcn), id)
        .await?
    {
        auth.need_to_know(state, pcn, c.person_id).await?;
    }
    match state
        .store
        .update_connection(
            ConnectionScope::Pcn(pcn),
            id,
            version,
            change,
            &auth.actor(),
        )
        .await
    {
        Ok(c) => Ok(c),
        Err(StorageError::NotFound) => Err(auth.not_found(state, "connection", id).await),
        Err(e) => Err(e.into()),
    }
}

/// Reads a status change from a form. For the link worker, anything but a cancellation is
/// the organisation's answer recorded on its behalf.
pub(super) fn change_from(form: &FormData, side: Side) -> Result<StatusChange, AppError> {
    change_of(form.get("to"), form.get("reason"), form.get("note"), side)
}

/// A status change from its codes (the pages' form and the API's body).
pub(crate) fn change_of(
    to: &str,
    reason: &str,
    note: &str,
    side: Side,
) -> Result<StatusChange, AppError> {
    let to = ConnectionStatus::from_code(to)
        .ok_or_else(|| AppError::BadRequest("Choose the new status".into()))?;
    let reason = match reason {
        "" => None,
        r => Some(
            ConnectionReason::from_code(r)
                .ok_or_else(|| AppError::BadRequest("Choose a reason from the list".into()))?,
        ),
    };
    let note = note.trim().to_string();
    if note.chars().count() > domain::person::MAX_TEXT {
        return Err(AppError::BadRequest(
            "Keep the note to 2000 characters".into(),
        ));
    }
    let side = if side == Side::LinkWorker && to != ConnectionStatus::Cancelled {
        Side::Partner
    } else {
        side
    };
    Ok(StatusChange {
        to,
        reason,
        note,
        side,
        at: None,
    })
}
