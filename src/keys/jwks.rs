//! Public JWK documents and RFC 7638 thumbprints.
//!
//! A published key carries only `kty`, `n`, `e`, `kid`, `alg` and `use`: the document is built
//! from the public components alone, so no private member can slip into it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::rsa_key::RsaKey;

/// The public JWK of `key` under `kid`, as published in the JWKS.
pub(crate) fn public_jwk(kid: &str, key: &RsaKey) -> Value {
    json!({
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(&key.n),
        "e": URL_SAFE_NO_PAD.encode(&key.e),
    })
}

/// The RFC 7638 SHA-256 thumbprint of `key`, base64url without padding.
pub(crate) fn thumbprint(key: &RsaKey) -> String {
    thumbprint_of_encoded(
        &URL_SAFE_NO_PAD.encode(&key.e),
        &URL_SAFE_NO_PAD.encode(&key.n),
    )
}

/// Hashes the canonical member order the RFC requires; base64url values never need escaping.
fn thumbprint_of_encoded(e: &str, n: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);

    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example key of RFC 7638, section 3.1.
    const RFC_N: &str = concat!(
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1",
        "L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4",
        "QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbO",
        "pbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csF",
        "Cur-kEgU8awapJzKnqDKgw",
    );

    #[test]
    fn matches_the_rfc_7638_example() {
        let print = thumbprint_of_encoded("AQAB", RFC_N);

        assert_eq!(print, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn matches_jsonwebtoken_for_a_generated_key() {
        let text = super::super::rsa_key::generate_pem(2048).unwrap();
        let key = RsaKey::from_private_pem("k", &text).unwrap();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(public_jwk("k", &key)).unwrap();

        let expected = jwk
            .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .unwrap();
        assert_eq!(thumbprint(&key), expected);
    }
}
