//! Just enough PEM (RFC 7468) to read and write key files.
//!
//! Keys often arrive through environment variables, where a PEM block is squeezed onto one
//! line with literal `\n` sequences; those are turned back into line breaks before parsing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// One decoded PEM block: its label (`PRIVATE KEY`, `RSA PUBLIC KEY`, ...) and DER body.
pub(crate) struct PemBlock {
    pub label: String,
    pub der: Vec<u8>,
}

/// Undoes the `\n` escaping that env files and container settings apply to multi-line values.
pub(crate) fn unescape_newlines(text: &str) -> String {
    text.replace("\\r\\n", "\n").replace("\\n", "\n")
}

/// Decodes the first PEM block in `text`; whitespace inside the body is ignored.
pub(crate) fn decode(text: &str) -> Result<PemBlock, String> {
    let text = unescape_newlines(text);
    let (_, after_begin) = text
        .split_once("-----BEGIN ")
        .ok_or("no PEM block (missing -----BEGIN line)")?;
    let (label, rest) = after_begin
        .split_once("-----")
        .ok_or("malformed -----BEGIN line")?;

    let end_marker = format!("-----END {label}-----");
    let (body, _) = rest
        .split_once(&end_marker)
        .ok_or_else(|| format!("missing {end_marker}"))?;

    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD
        .decode(compact)
        .map_err(|_| "PEM body is not base64 (encrypted keys are not supported)")?;

    Ok(PemBlock {
        label: label.to_owned(),
        der,
    })
}

/// Encodes DER as a PEM block with 64-column lines, as OpenSSL writes it.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));

    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_accepts_escaped_newlines() {
        let der: Vec<u8> = (0..=200).collect();
        let text = encode("PRIVATE KEY", &der);
        let escaped = text.replace('\n', "\\n");

        let block = decode(&escaped).unwrap();
        assert_eq!(block.label, "PRIVATE KEY");
        assert_eq!(block.der, der);
    }

    #[test]
    fn rejects_mismatched_end_and_garbage() {
        assert!(decode("-----BEGIN A-----\nAAAA\n-----END B-----\n").is_err());
        assert!(decode("not a pem").is_err());
        assert!(decode("-----BEGIN A-----\n!!!!\n-----END A-----\n").is_err());
    }
}
