//! The JSON shapes the Flutter client parses. Changing a name here breaks shipped apps.

use serde_json::{Value, json};

use crate::auth::IssuedTokens;
use crate::store::UserRecord;

/// `User`: the profile every auth and profile response carries.
pub fn user(user: &UserRecord) -> Value {
    json!({
        "user_id": user.user_id,
        "email": user.email,
        "display_name": user.display_name,
        "avatar_url": user.avatar_url,
        "email_verified": user.email_verified,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
    })
}

/// `AuthTokens`: what register, login, refresh and code exchange answer.
pub fn tokens(issued: &IssuedTokens) -> Value {
    json!({
        "access_token": issued.access_token,
        "refresh_token": issued.refresh_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "user": user(&issued.user),
    })
}

pub fn message(text: &str) -> Value {
    json!({ "message": text })
}
