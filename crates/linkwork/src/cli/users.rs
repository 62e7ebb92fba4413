//! `linkwork user …`: adding, listing and disabling accounts and resetting passwords.

use super::{find_pcn, UserCommand};
use crate::config::Config;
use anyhow::{anyhow, bail, Result};
use domain::{Code, Role};
use std::process::ExitCode;
use storage::{Actor, NewUser};

pub(super) async fn user(command: UserCommand, cfg: &Config) -> Result<ExitCode> {
    let store = crate::open_storage(&cfg.database_url(), cfg.pg_max_connections).await?;
    let actor = Actor::system("cli");
    let web_err = |e: web::AppError| anyhow!("{}", e.explain().1);
    match command {
        UserCommand::Add {
            email,
            name,
            role,
            pcn,
            partner_org,
            password,
        } => {
            let role = Role::from_code(&role).ok_or_else(|| {
                anyhow!(
                    "unknown role '{role}': use one of {}",
                    Role::ALL
                        .iter()
                        .map(|r| r.code())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            let (pcn_id, partner_org_id) = if role == Role::Partner {
                let name = partner_org
                    .ok_or_else(|| anyhow!("a partner needs --partner-org <organisation name>"))?;
                let org = store.list_partner_orgs().await?.into_iter().find(|o| o.name == name).ok_or_else(|| anyhow!("no partner organisation named '{name}': add it with `linkwork partner-org-add`"))?;
                (None, Some(org.id))
            } else if role == Role::Operator {
                (None, None)
            } else {
                (Some(find_pcn(&*store, pcn.as_deref()).await?), None)
            };
            let generated = password.is_none();
            let password = match password {
                Some(p) => p,
                None => web::auth::random_token().map_err(web_err)?[..20].to_string(),
            };
            if let Some(problem) = web::auth::password_problem(&password, &email) {
                bail!("{problem}");
            }
            let hash = web::auth::hash_password(&password).map_err(web_err)?;
            let u = store
                .create_user(
                    NewUser {
                        email,
                        name,
                        role,
                        pcn_id,
                        partner_org_id,
                        password_hash: hash,
                    },
                    &actor,
                )
                .await?;
            println!(
                "Added {} ({}) as {}, id {}",
                u.name,
                u.email,
                u.role.label(),
                u.id
            );
            if generated {
                println!("Password: {password}");
            }
        }
        UserCommand::List => {
            for u in store.list_users(None).await? {
                let status = if u.disabled { "disabled" } else { "active" };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.id,
                    u.email,
                    u.name,
                    u.role.code(),
                    status
                );
            }
        }
        UserCommand::Disable { email } => {
            let u = store
                .user_by_email(&email)
                .await?
                .ok_or_else(|| anyhow!("no account with email {email}"))?;
            store.set_user_disabled(u.id, true, &actor).await?;
            println!("Disabled {} and ended their sessions.", u.email);
        }
        UserCommand::ResetPassword { email } => {
            let u = store
                .user_by_email(&email)
                .await?
                .ok_or_else(|| anyhow!("no account with email {email}"))?;
            let password = web::auth::random_token().map_err(web_err)?[..20].to_string();
            store
                .set_password(
                    u.id,
                    &web::auth::hash_password(&password).map_err(web_err)?,
                    &actor,
                )
                .await?;
            println!("New password for {}: {password}", u.email);
        }
    }
    Ok(ExitCode::SUCCESS)
}
