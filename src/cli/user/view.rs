//! How accounts print: JSON objects for `--json`, tables and text for people.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::admin::UserProfile;
use crate::cli::output;
use crate::store::{IdentityRecord, SessionRecord, UserRecord, UserSummary};

pub fn user(user: &UserRecord) -> Value {
    json!({
        "user_id": user.user_id,
        "email": user.email,
        "display_name": user.display_name,
        "email_verified": user.email_verified,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
        "disabled": user.is_disabled(),
        "disabled_at": user.disabled_at,
    })
}

pub fn summary(summary: &UserSummary) -> Value {
    let mut value = user(&summary.user);
    value["sessions"] = json!(summary.live_sessions);
    value
}

pub fn session(session: &SessionRecord) -> Value {
    json!({
        "session_id": session.session_id,
        "client_type": session.client_type,
        "device_label": session.device_label,
        "created_at": session.created_at,
        "last_seen_at": session.last_seen_at,
        "expires_at": session.expires_at,
    })
}

fn identity(identity: &IdentityRecord) -> Value {
    json!({
        "identity_id": identity.identity_id,
        "provider": identity.provider,
        "subject": identity.provider_subject,
        "email": identity.email_at_provider,
        "created_at": identity.created_at,
        "last_used_at": identity.last_used_at,
    })
}

pub fn profile(profile: &UserProfile) -> Value {
    let mut value = user(&profile.user);
    value["identities"] = profile.identities.iter().map(identity).collect();
    value["sessions"] = profile.sessions.iter().map(session).collect();
    value["books"] = json!(profile.books);
    value
}

/// How a message names a user: the email, or the id when there is none.
pub fn name(user: &UserRecord) -> String {
    user.email
        .clone()
        .unwrap_or_else(|| user.user_id.to_string())
}

pub fn created(user: &UserRecord) -> String {
    format!(
        "Created {} ({}), id {}",
        name(user),
        user.display_name,
        user.user_id
    )
}

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "-".to_owned(),
        |at| at.format("%Y-%m-%d %H:%M").to_string(),
    )
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

pub fn user_table(users: &[UserSummary]) -> String {
    if users.is_empty() {
        return "No users.".to_owned();
    }
    let headers = [
        "id",
        "email",
        "name",
        "verified",
        "created",
        "last login",
        "disabled",
        "sessions",
    ];
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|summary| {
            let user = &summary.user;
            vec![
                user.user_id.to_string(),
                user.email.clone().unwrap_or_else(|| "-".into()),
                user.display_name.clone(),
                yes_no(user.email_verified),
                time(Some(user.created_at)),
                time(user.last_login_at),
                yes_no(user.is_disabled()),
                summary.live_sessions.to_string(),
            ]
        })
        .collect();
    output::table(&headers, &rows)
}

pub fn session_table(sessions: &[SessionRecord]) -> String {
    if sessions.is_empty() {
        return "No live sessions.".to_owned();
    }
    let headers = ["id", "client", "device", "created", "last seen", "expires"];
    let rows: Vec<Vec<String>> = sessions
        .iter()
        .map(|s| {
            vec![
                s.session_id.to_string(),
                s.client_type.clone(),
                s.device_label.clone().unwrap_or_else(|| "-".into()),
                time(Some(s.created_at)),
                time(s.last_seen_at),
                time(Some(s.expires_at)),
            ]
        })
        .collect();
    output::table(&headers, &rows)
}

pub fn profile_text(profile: &UserProfile) -> String {
    let user = &profile.user;
    let status = match user.disabled_at {
        Some(at) => format!("disabled since {}", time(Some(at))),
        None => "active".to_owned(),
    };
    let mut lines = vec![
        format!("id          {}", user.user_id),
        format!(
            "email       {} (verified: {})",
            name(user),
            yes_no(user.email_verified)
        ),
        format!("name        {}", user.display_name),
        format!("status      {status}"),
        format!("created     {}", time(Some(user.created_at))),
        format!("last login  {}", time(user.last_login_at)),
        format!("books       {}", profile.books),
        String::new(),
    ];

    lines.push(format!("Identities ({})", profile.identities.len()));
    for identity in &profile.identities {
        let email = identity.email_at_provider.as_deref().unwrap_or("-");
        lines.push(format!(
            "  {}  {}  {email}  linked {}",
            identity.provider,
            identity.provider_subject,
            time(Some(identity.created_at))
        ));
    }
    lines.push(String::new());
    lines.push(format!("Live sessions ({})", profile.sessions.len()));
    if !profile.sessions.is_empty() {
        lines.push(session_table(&profile.sessions));
    }
    lines.join("\n")
}
