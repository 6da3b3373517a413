//! RSA key material: parsing, generation and the checks every key passes before use.
//!
//! A private key is parsed once, at load, into an aws-lc key pair that signs in constant
//! time. jsonwebtoken's own RS256 signer re-parses the key DER on every call, which more
//! than doubles the cost of a token, so papyrus signs with the parsed pair directly.
//! A private key is accepted only after a probe signature verifies, through
//! jsonwebtoken, with the public half we publish, so the signer and the JWKS can never
//! disagree.

use std::fmt;

use base64::Engine;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKey, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::KeyError;
use super::pem;

/// Smallest modulus accepted for signing or publishing.
pub(crate) const MIN_BITS: u32 = 2048;

const PROBE_MESSAGE: &[u8] = b"papyrus key probe";

/// One RSA key: the public components always, the signer only when the private key is known.
pub(crate) struct RsaKey {
    /// Modulus, big-endian without leading zero bytes.
    pub n: Vec<u8>,
    /// Public exponent, big-endian without leading zero bytes.
    pub e: Vec<u8>,
    pub bits: u32,
    signer: Option<KeyPair>,
}

impl fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaKey")
            .field("bits", &self.bits)
            .field("can_sign", &self.signer.is_some())
            .finish()
    }
}

/// Generates a fresh key and returns it as a PKCS#8 PEM document.
pub(crate) fn generate_pem(bits: u32) -> Result<String, KeyError> {
    let size = match bits {
        2048 => KeySize::Rsa2048,
        3072 => KeySize::Rsa3072,
        4096 => KeySize::Rsa4096,
        _ => return Err(KeyError::UnsupportedBits { bits }),
    };

    let pair = KeyPair::generate(size).map_err(|_| KeyError::Generation)?;
    let der = pair.as_der().map_err(|_| KeyError::Generation)?;

    Ok(pem::encode("PRIVATE KEY", der.as_ref()))
}

impl RsaKey {
    /// Parses a PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) PEM private key.
    pub fn from_private_pem(kid: &str, text: &str) -> Result<Self, KeyError> {
        let block = pem::decode(text).map_err(|reason| KeyError::rejected(kid, reason))?;
        let pair = match block.label.as_str() {
            "PRIVATE KEY" => KeyPair::from_pkcs8(&block.der),
            "RSA PRIVATE KEY" => KeyPair::from_der(&block.der),
            other => return Err(unexpected_label(kid, "private", other)),
        }
        .map_err(|err| KeyError::rejected(kid, format!("not a usable RSA private key ({err})")))?;

        let parts = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        let mut key = Self::from_components(kid, parts.n, parts.e)?;

        key.signer = Some(pair);
        key.prove_signer(kid)?;
        Ok(key)
    }

    /// An RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature of `message`.
    pub fn sign_rs256(&self, kid: &str, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let pair = self
            .signer
            .as_ref()
            .ok_or_else(|| KeyError::rejected(kid, "no private key, so it cannot sign"))?;
        let mut signature = vec![0; pair.public_modulus_len()];
        pair.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            message,
            &mut signature,
        )
        .map_err(|_| KeyError::rejected(kid, "signing failed"))?;
        Ok(signature)
    }

    /// Parses an SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`) PEM public key.
    pub fn from_public_pem(kid: &str, text: &str) -> Result<Self, KeyError> {
        let block = pem::decode(text).map_err(|reason| KeyError::rejected(kid, reason))?;
        if block.label != "PUBLIC KEY" && block.label != "RSA PUBLIC KEY" {
            return Err(unexpected_label(kid, "public", &block.label));
        }

        let public = PublicKey::from_der(&block.der)
            .map_err(|err| KeyError::rejected(kid, format!("not an RSA public key ({err})")))?;
        let parts = PublicKeyComponents::<Vec<u8>>::from(&public);

        Self::from_components(kid, parts.n, parts.e)
    }

    /// The signer, present only for keys loaded from a private key.
    pub fn can_sign(&self) -> bool {
        self.signer.is_some()
    }

    /// Whether both keys have the same modulus and exponent.
    pub fn same_public_key(&self, other: &RsaKey) -> bool {
        self.n == other.n && self.e == other.e
    }

    fn from_components(kid: &str, n: Vec<u8>, e: Vec<u8>) -> Result<Self, KeyError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_length(&n);
        if bits < MIN_BITS {
            let reason = format!("{bits}-bit modulus, at least {MIN_BITS} bits required");
            return Err(KeyError::rejected(kid, reason));
        }

        Ok(Self {
            n,
            e,
            bits,
            signer: None,
        })
    }

    fn prove_signer(&self, kid: &str) -> Result<(), KeyError> {
        let signature = self.sign_rs256(kid, PROBE_MESSAGE)?;
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature);

        let verifier = DecodingKey::from_rsa_raw_components(&self.n, &self.e);
        let verified =
            jsonwebtoken::crypto::verify(&signature, PROBE_MESSAGE, &verifier, Algorithm::RS256);
        if !matches!(verified, Ok(true)) {
            return Err(KeyError::rejected(
                kid,
                "its signature fails its own public key",
            ));
        }

        Ok(())
    }
}

fn unexpected_label(kid: &str, wanted: &str, found: &str) -> KeyError {
    KeyError::rejected(
        kid,
        format!("expected an RSA {wanted} key, found a {found:?} block"),
    )
}

fn strip_leading_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    bytes.drain(..zeros.min(bytes.len().saturating_sub(1)));

    bytes
}

fn bit_length(big_endian: &[u8]) -> u32 {
    let Some(first) = big_endian.first() else {
        return 0;
    };
    let whole_bytes = u32::try_from(big_endian.len() - 1).unwrap_or(u32::MAX / 8);

    whole_bytes * 8 + (8 - first.leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_bits_and_strips_zeros() {
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(bit_length(&[0x01, 0]), 9);
        assert_eq!(strip_leading_zeros(vec![0, 0, 1, 0]), vec![1, 0]);
        assert_eq!(strip_leading_zeros(vec![0]), vec![0]);
    }

    #[test]
    fn generated_key_loads_and_can_sign() {
        let text = generate_pem(2048).unwrap();
        let key = RsaKey::from_private_pem("k", &text).unwrap();

        assert_eq!(key.bits, 2048);
        assert_ne!(key.n[0], 0);
        assert!(key.can_sign());
    }

    #[test]
    fn refuses_unsupported_sizes_and_wrong_blocks() {
        assert!(matches!(
            generate_pem(1024),
            Err(KeyError::UnsupportedBits { .. })
        ));

        let text = generate_pem(2048).unwrap();
        assert!(RsaKey::from_public_pem("k", &text).is_err());
    }
}
