//! End-to-end tests of the key module: files on disk, tokens and their verification.

mod legacy;
mod lifecycle;
mod reload;
mod tokens;

use std::path::PathBuf;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::KeyPair as _;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::Value;
use tempfile::TempDir;

use super::pem;
use super::rsa_key::generate_pem;

/// A temporary parent and the key directory inside it, not yet created.
fn key_dir() -> (TempDir, PathBuf) {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("keys");

    (parent, dir)
}

/// Verifies `token` the way PowerSync does: pick the JWKS entry by `kid`, RS256 only,
/// audience checked.
fn verify(jwks: &Value, token: &str, audience: &str) -> Result<Value, String> {
    let header = decode_header(token).map_err(|err| err.to_string())?;
    let kid = header.kid.ok_or("token has no kid")?;
    let keys = jwks["keys"].as_array().ok_or("JWKS has no keys")?;
    let entry = keys
        .iter()
        .find(|key| key["kid"] == kid.as_str())
        .ok_or("unknown kid")?;

    let jwk: Jwk = serde_json::from_value(entry.clone()).map_err(|err| err.to_string())?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|err| err.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);

    let data = decode::<Value>(token, &key, &validation).map_err(|err| err.to_string())?;
    Ok(data.claims)
}

/// A generated key in the three encodings the legacy loader must read.
struct TestKey {
    pkcs8_pem: String,
    pkcs1_pem: String,
    spki_pem: String,
    pkcs1_public_pem: String,
}

fn test_key() -> TestKey {
    let pkcs8_pem = generate_pem(2048).unwrap();
    let pkcs8 = pem::decode(&pkcs8_pem).unwrap().der;
    let pair = KeyPair::from_pkcs8(&pkcs8).unwrap();
    let spki = pair.public_key().as_der().unwrap();

    TestKey {
        pkcs1_pem: pem::encode("RSA PRIVATE KEY", &pkcs8_to_pkcs1(&pkcs8)),
        spki_pem: pem::encode("PUBLIC KEY", spki.as_ref()),
        pkcs1_public_pem: pem::encode("RSA PUBLIC KEY", pair.public_key().as_ref()),
        pkcs8_pem,
    }
}

/// Unwraps the `RSAPrivateKey` from a PKCS#8 `PrivateKeyInfo`: SEQUENCE { version,
/// algorithm, OCTET STRING key }.
fn pkcs8_to_pkcs1(der: &[u8]) -> Vec<u8> {
    let (_, info, _) = der_item(der);
    let (_, _, after_version) = der_item(info);
    let (_, _, after_algorithm) = der_item(after_version);
    let (tag, key, _) = der_item(after_algorithm);
    assert_eq!(tag, 0x04, "expected an OCTET STRING");

    key.to_vec()
}

/// Splits one DER item into tag, contents and the bytes after it.
fn der_item(input: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = input[0];
    let (length, header) = match input[1] {
        short if short < 0x80 => (usize::from(short), 2),
        long => {
            let count = usize::from(long & 0x7f);
            let bytes = &input[2..2 + count];
            let length = bytes.iter().fold(0, |acc, b| acc << 8 | usize::from(*b));
            (length, 2 + count)
        }
    };

    let (contents, rest) = input[header..].split_at(length);
    (tag, contents, rest)
}
