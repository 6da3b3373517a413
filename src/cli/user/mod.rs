//! `papyrus user`: account administration from the command line, on the database
//! `serve` uses, whether or not a server is running. The rules live in
//! [`crate::admin`]; this module parses, asks and prints.

mod view;

use clap::{Args, Subcommand};
use uuid::Uuid;

use super::common::{find_user, open_store};
use super::{CliError, CliResult, Output, prompt};
use crate::admin::{self, NewAccount};
use crate::auth::passwords::Passwords;
use crate::config::{self, BaseArgs};
use crate::store::{DynStore, UserRecord};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account with a password
    Create(CreateArgs),
    /// List accounts, newest first
    List(ListArgs),
    /// Show an account: profile, identities, live sessions, book count
    Show(TargetArgs),
    /// Disable an account and revoke all its sessions at once
    Disable(TargetArgs),
    /// Enable a disabled account; its revoked sessions stay revoked
    Enable(TargetArgs),
    /// Replace an account's password and revoke all its sessions
    SetPassword(SetPasswordArgs),
    /// List an account's live sessions
    Sessions(TargetArgs),
    /// Revoke an account's sessions, or one of them
    RevokeSessions(RevokeArgs),
    /// Delete an account and everything it owns: books, sessions, identities, tokens
    Delete(DeleteArgs),
}

/// Where the accounts are and how to print; every subcommand takes these.
#[derive(Debug, Args)]
pub struct CommonArgs {
    #[command(flatten)]
    pub base: BaseArgs,

    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Email address; asked for on a terminal when missing
    #[arg(long)]
    pub email: Option<String>,

    /// Display name [default: the part of the email before the @]
    #[arg(long)]
    pub display_name: Option<String>,

    /// Read the password from the first line of standard input instead of asking
    #[arg(long)]
    pub password_stdin: bool,

    /// Mark the email as already verified
    #[arg(long)]
    pub verified: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Only accounts whose email or display name contains this text, ignoring case
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,

    /// Only disabled accounts
    #[arg(long)]
    pub disabled: bool,

    /// At most this many accounts
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: u32,
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// The account, by email (any case) or id
    #[arg(value_name = "EMAIL|ID")]
    pub user: String,
}

#[derive(Debug, Args)]
pub struct SetPasswordArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Read the password from the first line of standard input instead of asking
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Revoke only this session
    #[arg(long, value_name = "ID")]
    pub session: Option<Uuid>,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Do not ask for confirmation; required without a terminal
    #[arg(long, short)]
    pub yes: bool,
}

pub async fn run(command: UserCommand) -> CliResult {
    match command {
        UserCommand::Create(args) => create(args).await,
        UserCommand::List(args) => list(args).await,
        UserCommand::Show(args) => show(args).await,
        UserCommand::Disable(args) => disable(args).await,
        UserCommand::Enable(args) => enable(args).await,
        UserCommand::SetPassword(args) => set_password(args).await,
        UserCommand::Sessions(args) => sessions(args).await,
        UserCommand::RevokeSessions(args) => revoke_sessions(args).await,
        UserCommand::Delete(args) => delete(args).await,
    }
}

async fn open(common: &CommonArgs) -> CliResult<(DynStore, Output)> {
    let base = common.base.resolve(&config::process_env)?;
    let store = open_store(&base).await?;
    Ok((store, Output { json: common.json }))
}

async fn target(args: &TargetArgs) -> CliResult<(DynStore, Output, UserRecord)> {
    let (store, out) = open(&args.common).await?;
    let user = find_user(&store, &args.user).await?;
    Ok((store, out, user))
}

async fn create(args: CreateArgs) -> CliResult {
    let (store, out) = open(&args.common).await?;
    let ask = !args.password_stdin && prompt::interactive();
    let email = match args.email {
        Some(email) => email,
        None if ask => prompt::text("Email", None)?,
        None => {
            return Err(CliError::Usage(
                "--email is required without a terminal".into(),
            ));
        }
    };
    let display_name = match args.display_name {
        None if ask => {
            let default = admin::default_display_name(email.trim());
            Some(prompt::text("Display name", Some(default))?)
        }
        name => name,
    };
    let password = prompt::new_password(args.password_stdin)?;

    let account = NewAccount {
        email,
        display_name,
        password,
        verified: args.verified,
    };
    let user = admin::create_user(&store, &Passwords::default(), account).await?;
    out.print(&view::user(&user), |_| view::created(&user));
    Ok(())
}

async fn list(args: ListArgs) -> CliResult {
    let (store, out) = open(&args.common).await?;
    let users = admin::list_users(&store, args.search, args.disabled, args.limit).await?;

    let json: Vec<_> = users.iter().map(view::summary).collect();
    out.print(&json, |_| view::user_table(&users));
    Ok(())
}

async fn show(args: TargetArgs) -> CliResult {
    let (store, out, user) = target(&args).await?;
    let profile = admin::profile(&store, user).await?;

    out.print(&view::profile(&profile), |_| view::profile_text(&profile));
    Ok(())
}

async fn disable(args: TargetArgs) -> CliResult {
    let (store, out, user) = target(&args).await?;
    let user = admin::disable(&store, &user).await?;

    out.print(&view::user(&user), |_| {
        format!(
            "Disabled {}; all its sessions are revoked.",
            view::name(&user)
        )
    });
    Ok(())
}

async fn enable(args: TargetArgs) -> CliResult {
    let (store, out, user) = target(&args).await?;
    let user = admin::enable(&store, &user).await?;

    out.print(&view::user(&user), |_| {
        format!(
            "Enabled {}; it signs in again to get a session.",
            view::name(&user)
        )
    });
    Ok(())
}

async fn set_password(args: SetPasswordArgs) -> CliResult {
    let (store, out, user) = target(&args.target).await?;
    let password = prompt::new_password(args.password_stdin)?;
    admin::set_password(&store, &Passwords::default(), &user, &password).await?;

    let body = serde_json::json!({ "user_id": user.user_id, "sessions_revoked": true });
    out.print(&body, |_| {
        format!(
            "Set the password of {}; all its sessions are revoked.",
            view::name(&user)
        )
    });
    Ok(())
}

async fn sessions(args: TargetArgs) -> CliResult {
    let (store, out, user) = target(&args).await?;
    let sessions = admin::live_sessions(&store, &user).await?;

    let json: Vec<_> = sessions.iter().map(view::session).collect();
    out.print(&json, |_| view::session_table(&sessions));
    Ok(())
}

async fn revoke_sessions(args: RevokeArgs) -> CliResult {
    let (store, out, user) = target(&args.target).await?;
    let revoked = admin::revoke_sessions(&store, &user, args.session).await?;

    let body = serde_json::json!({ "user_id": user.user_id, "revoked": revoked });
    out.print(&body, |_| {
        format!("Revoked {revoked} session(s) of {}.", view::name(&user))
    });
    Ok(())
}

async fn delete(args: DeleteArgs) -> CliResult {
    let (store, out, user) = target(&args.target).await?;
    if !args.yes {
        confirm_delete(&user)?;
    }

    let books = admin::delete(&store, &user).await?;
    let body = serde_json::json!({ "user_id": user.user_id, "deleted": true, "books": books });
    out.print(&body, |_| {
        format!("Deleted {} and its {books} book(s).", view::name(&user))
    });
    Ok(())
}

/// Deleting cannot be undone, so it needs a "yes" typed on a terminal or `--yes`.
fn confirm_delete(user: &UserRecord) -> CliResult {
    if !prompt::interactive() {
        return Err(CliError::Usage(
            "refusing to delete without --yes when there is no terminal to confirm on".into(),
        ));
    }
    let question = format!(
        "Delete {} and everything it owns? This cannot be undone",
        view::name(user)
    );
    if !prompt::confirm(&question)? {
        return Err(CliError::Usage("deletion cancelled".into()));
    }
    Ok(())
}
