//! PKCE (RFC 7636), S256 only, on both legs: papyrus proves to the provider that it
//! started the request it redeems, and the app proves to papyrus that it is the app
//! that started the sign-in, so a code read off a `papyrus://` redirect by another app
//! on the device cannot be exchanged.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The only method accepted; `plain` would hand the verifier to anyone who sees the
/// challenge.
pub const METHOD: &str = "S256";

/// The S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` answers `challenge`, compared in constant time.
pub fn verifies(verifier: &str, challenge: &str) -> bool {
    self::challenge(verifier)
        .as_bytes()
        .ct_eq(challenge.as_bytes())
        .into()
}

/// The app's `code_challenge` and `code_challenge_method` as sent to `start`: both
/// absent (no PKCE), or an S256 challenge.
pub fn app_challenge(
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<String>, String> {
    match (challenge, method) {
        (None, None) => Ok(None),
        (Some(challenge), Some(METHOD)) if is_s256_challenge(challenge) => {
            Ok(Some(challenge.to_owned()))
        }
        (Some(_), Some(METHOD)) => {
            Err("code_challenge must be 43 characters of base64url (an S256 digest)".into())
        }
        (Some(_), None) | (_, Some(_)) => {
            Err("code_challenge_method must be S256, together with a code_challenge".into())
        }
    }
}

fn is_s256_challenge(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A `code_verifier` as RFC 7636 shapes it: 43 to 128 unreserved characters.
pub fn app_verifier(raw: &str) -> Result<String, String> {
    let shaped = (43..=128).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if shaped {
        Ok(raw.to_owned())
    } else {
        Err("must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' or '~'".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_the_rfc_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let expected = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(challenge(verifier), expected);
        assert!(verifies(verifier, expected));
        assert!(!verifies(
            "another-verifier-another-verifier-another-ve",
            expected
        ));
    }

    #[test]
    fn app_challenges_are_s256_or_nothing() {
        let good = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(app_challenge(None, None).unwrap(), None);
        assert_eq!(
            app_challenge(Some(good), Some("S256")).unwrap().unwrap(),
            good
        );
        assert!(app_challenge(Some(good), Some("plain")).is_err());
        assert!(app_challenge(Some(good), None).is_err());
        assert!(app_challenge(None, Some("S256")).is_err());
        assert!(app_challenge(Some("short"), Some("S256")).is_err());
        assert!(app_verifier("too-short").is_err());
        assert!(app_verifier(&"a".repeat(129)).is_err());
        assert!(app_verifier(&"a~.-_".repeat(9)).is_ok());
    }
}
