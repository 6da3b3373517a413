//! Account administration by an operator: the rules behind `papyrus user`.
//!
//! Policy:
//! - Accounts created here pass the same checks as a registration over HTTP
//!   ([`crate::auth::input`]) and get the same argon2id hash.
//! - Whatever takes access away (disabling, a new password, deleting) revokes the
//!   user's sessions in the same transaction, so a running server refuses the user's
//!   access tokens on their next request.
//! - Enabling an account does not bring its revoked sessions back: the user signs in
//!   again.
//! - Every change is logged on the `papyrus::security` target as an admin action; no
//!   password or hash is ever logged.

use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::auth::passwords::{PasswordError, Passwords};
use crate::auth::{SECURITY, input};
use crate::store::{
    DynStore, IdentityRecord, NewUser, SessionRecord, StoreError, UserQuery, UserRecord,
    UserSummary,
};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Input that registration would refuse; each entry reads "<field> <reason>".
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("no user {0}")]
    UnknownUser(String),
    #[error("user {user} has no session {session}")]
    UnknownSession { user: Uuid, session: Uuid },
    #[error("an account with the email {0} already exists")]
    EmailTaken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

pub type AdminResult<T> = Result<T, AdminError>;

/// An account to create, as the operator typed it.
pub struct NewAccount {
    pub email: String,
    /// Defaults to the part of the email before the `@`.
    pub display_name: Option<String>,
    pub password: SecretString,
    pub verified: bool,
}

/// Everything `user show` tells about a user.
#[derive(Debug, Clone)]
pub struct UserProfile {
    pub user: UserRecord,
    pub identities: Vec<IdentityRecord>,
    pub sessions: Vec<SessionRecord>,
    pub books: i64,
}

/// The display name an account gets when none is given: the email's local part.
pub fn default_display_name(email: &str) -> String {
    email.split('@').next().unwrap_or(email).to_owned()
}

/// Checks the new account's fields the way registration does, reporting every
/// problem at once.
fn validate(account: &NewAccount) -> AdminResult<(String, String)> {
    let email = input::email(&account.email).map_err(|e| format!("email {e}"));
    let name = account
        .display_name
        .clone()
        .unwrap_or_else(|| default_display_name(account.email.trim()));
    let name = input::display_name(&name).map_err(|e| format!("display name {e}"));
    let password =
        input::new_password(account.password.expose_secret()).map_err(|e| format!("password {e}"));

    match (email, name, password) {
        (Ok(email), Ok(name), Ok(())) => Ok((email, name)),
        (email, name, password) => Err(AdminError::Invalid(
            [email.err(), name.err(), password.err()]
                .into_iter()
                .flatten()
                .collect(),
        )),
    }
}

/// Creates an account with a password, optionally with its email already verified.
pub async fn create_user(
    store: &DynStore,
    passwords: &Passwords,
    account: NewAccount,
) -> AdminResult<UserRecord> {
    let (email, display_name) = validate(&account)?;
    if store.user_by_email(&email).await?.is_some() {
        return Err(AdminError::EmailTaken(email));
    }

    let hash = passwords.hash(&account.password).await?;
    let new_user = NewUser {
        user_id: Uuid::new_v4(),
        email: Some(email.clone()),
        display_name,
        avatar_url: None,
        email_verified: account.verified,
        password_hash: Some(hash),
        created_at: Utc::now(),
    };
    let user = match store.insert_user(&new_user).await {
        Err(StoreError::Conflict(_)) => return Err(AdminError::EmailTaken(email)),
        other => other?,
    };

    tracing::info!(target: SECURITY, user_id = %user.user_id, "admin action: user created");
    Ok(user)
}

/// A user by id or by email, ignoring case and surrounding spaces.
pub async fn find_user(store: &DynStore, who: &str) -> AdminResult<UserRecord> {
    let key = who.trim();
    let found = match Uuid::parse_str(key) {
        Ok(id) => store.user_by_id(id).await?,
        Err(_) => store.user_by_email(&key.to_lowercase()).await?,
    };
    found.ok_or_else(|| AdminError::UnknownUser(key.to_owned()))
}

pub async fn list_users(
    store: &DynStore,
    search: Option<String>,
    only_disabled: bool,
    limit: u32,
) -> AdminResult<Vec<UserSummary>> {
    let query = UserQuery {
        search: search.filter(|s| !s.trim().is_empty()),
        only_disabled,
        limit,
        now: Utc::now(),
    };
    Ok(store.list_users(&query).await?)
}

pub async fn profile(store: &DynStore, user: UserRecord) -> AdminResult<UserProfile> {
    let id = user.user_id;
    Ok(UserProfile {
        identities: store.user_identities(id).await?,
        sessions: store.live_sessions(id, Utc::now()).await?,
        books: store.count_books(id).await?,
        user,
    })
}

pub async fn live_sessions(store: &DynStore, user: &UserRecord) -> AdminResult<Vec<SessionRecord>> {
    Ok(store.live_sessions(user.user_id, Utc::now()).await?)
}

/// Disables the account and revokes every session at once; returns the user as stored.
pub async fn disable(store: &DynStore, user: &UserRecord) -> AdminResult<UserRecord> {
    store.disable_user(user.user_id, Utc::now()).await?;

    tracing::info!(target: SECURITY, user_id = %user.user_id, "admin action: user disabled");
    reload(store, user).await
}

pub async fn enable(store: &DynStore, user: &UserRecord) -> AdminResult<UserRecord> {
    store.enable_user(user.user_id).await?;

    tracing::info!(target: SECURITY, user_id = %user.user_id, "admin action: user enabled");
    reload(store, user).await
}

async fn reload(store: &DynStore, user: &UserRecord) -> AdminResult<UserRecord> {
    store
        .user_by_id(user.user_id)
        .await?
        .ok_or_else(|| AdminError::UnknownUser(user.user_id.to_string()))
}

/// Replaces the password (checked like a new one at registration) and revokes every
/// session in the same transaction.
pub async fn set_password(
    store: &DynStore,
    passwords: &Passwords,
    user: &UserRecord,
    password: &SecretString,
) -> AdminResult<()> {
    input::new_password(password.expose_secret())
        .map_err(|e| AdminError::Invalid(vec![format!("password {e}")]))?;
    let hash = passwords.hash(password).await?;

    let now = Utc::now();
    store
        .set_password_hash(user.user_id, &hash, now, Some(now))
        .await?;
    tracing::info!(target: SECURITY, user_id = %user.user_id, "admin action: password set");
    Ok(())
}

/// Revokes one session of the user, or all of them; returns how many it revoked.
pub async fn revoke_sessions(
    store: &DynStore,
    user: &UserRecord,
    session: Option<Uuid>,
) -> AdminResult<u64> {
    let now = Utc::now();
    let revoked = match session {
        None => store.revoke_user_sessions(user.user_id, now).await?,
        Some(session_id) => match store
            .revoke_user_session(user.user_id, session_id, now)
            .await
        {
            Ok(revoked) => u64::from(revoked),
            Err(StoreError::NotFound) => {
                return Err(AdminError::UnknownSession {
                    user: user.user_id,
                    session: session_id,
                });
            }
            Err(other) => return Err(other.into()),
        },
    };

    tracing::info!(target: SECURITY, user_id = %user.user_id, revoked,
        "admin action: sessions revoked");
    Ok(revoked)
}

/// Deletes the account and everything it owns; returns how many books went with it.
pub async fn delete(store: &DynStore, user: &UserRecord) -> AdminResult<i64> {
    let books = store.count_books(user.user_id).await?;
    store.delete_user(user.user_id).await?;

    tracing::info!(target: SECURITY, user_id = %user.user_id, books, "admin action: user deleted");
    Ok(books)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(email: &str, name: Option<&str>, password: &str) -> NewAccount {
        NewAccount {
            email: email.into(),
            display_name: name.map(String::from),
            password: SecretString::from(password.to_owned()),
            verified: false,
        }
    }

    #[test]
    fn new_accounts_are_checked_like_registrations() {
        let (email, name) = validate(&account(" Ada@Example.com ", None, "long enough")).unwrap();
        assert_eq!((email.as_str(), name.as_str()), ("ada@example.com", "Ada"));

        let Err(AdminError::Invalid(problems)) = validate(&account("nope", Some(" "), "short"))
        else {
            panic!("accepted");
        };
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("email "));
        assert!(problems[2].contains("at least 8"));
    }
}
