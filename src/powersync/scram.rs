//! PostgreSQL's SCRAM-SHA-256 password secret, computed by papyrus.
//!
//! `CREATE ROLE ... PASSWORD` then carries the secret instead of the password,
//! so the password never reaches PostgreSQL's statement log or
//! `pg_stat_activity`. PostgreSQL stores a secret in this form as it is.
//!
//! The password is hashed as given, without the SASLprep normalisation
//! PostgreSQL applies: the two agree for ASCII passwords, but a non-ASCII
//! password that normalisation would change may be refused at login.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// PostgreSQL's own default iteration count.
const ITERATIONS: u32 = 4096;

/// A fresh secret for `password`, with a random salt.
pub fn secret(password: &str) -> String {
    let salt: [u8; 16] = rand::random();
    encode(password, &salt, ITERATIONS)
}

/// Whether `secret` (as `pg_authid.rolpassword` holds it) was made from `password`.
pub fn matches(secret: &str, password: &str) -> bool {
    let Some((iterations, salt, stored_key)) = parse(secret) else {
        return false;
    };

    let (computed, _) = keys(password, &salt, iterations);
    computed.ct_eq(stored_key.as_slice()).into()
}

fn encode(password: &str, salt: &[u8], iterations: u32) -> String {
    let (stored_key, server_key) = keys(password, salt, iterations);
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        STANDARD.encode(salt),
        STANDARD.encode(stored_key),
        STANDARD.encode(server_key)
    )
}

/// `SCRAM-SHA-256$<iterations>:<salt>$<stored key>:<server key>`.
fn parse(secret: &str) -> Option<(u32, Vec<u8>, Vec<u8>)> {
    let rest = secret.strip_prefix("SCRAM-SHA-256$")?;
    let (parameters, keys) = rest.split_once('$')?;
    let (iterations, salt) = parameters.split_once(':')?;
    let (stored_key, _server_key) = keys.split_once(':')?;

    let iterations = iterations.parse().ok().filter(|&n| n > 0)?;
    Some((
        iterations,
        STANDARD.decode(salt).ok()?,
        STANDARD.decode(stored_key).ok()?,
    ))
}

/// The stored key and the server key of RFC 5802.
fn keys(password: &str, salt: &[u8], iterations: u32) -> ([u8; 32], [u8; 32]) {
    let salted = salted_password(password.as_bytes(), salt, iterations);
    let client_key = hmac(&salted, &[b"Client Key"]);

    (
        Sha256::digest(client_key).into(),
        hmac(&salted, &[b"Server Key"]),
    )
}

/// PBKDF2-HMAC-SHA-256 with a single output block, as SCRAM uses it.
fn salted_password(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut block = hmac(password, &[salt, &1u32.to_be_bytes()]);
    let mut result = block;
    for _ in 1..iterations {
        block = hmac(password, &[&block]);
        result.iter_mut().zip(block).for_each(|(r, b)| *r ^= b);
    }
    result
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exchange of RFC 7677, section 3: the server signature it shows can
    /// only come from the right server key.
    #[test]
    fn keys_agree_with_the_rfc_example() {
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let (_, server_key) = keys("pencil", &salt, 4096);
        let nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let auth_message = format!(
            "n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\
             c=biws,r={nonce}"
        );

        let signature = hmac(&server_key, &[auth_message.as_bytes()]);
        assert_eq!(
            STANDARD.encode(signature),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
    }

    #[test]
    fn a_secret_matches_its_password_only() {
        let made = secret("correct horse");
        assert!(made.starts_with("SCRAM-SHA-256$4096:"));
        assert!(matches(&made, "correct horse"));
        assert!(!matches(&made, "correct horse "));
        assert!(!matches("md5abcdef", "correct horse"));
        assert_ne!(made, secret("correct horse"), "the salt is random");
    }
}
