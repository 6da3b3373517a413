//! PowerSync tokens minted per second on one core, beside the raw RS256 signing rate
//! of the same key, so the cost around the signature is visible.
//!
//! Run with `cargo bench --bench powersync_tokens`.

use std::time::{Duration, Instant};

use base64::Engine;
use chrono::Utc;
use papyrus::keys::{self, KeySet};

const RUN_FOR: Duration = Duration::from_secs(3);

/// Calls `work` repeatedly for about `RUN_FOR` and returns calls per second.
fn rate(mut work: impl FnMut()) -> f64 {
    for _ in 0..20 {
        work();
    }
    let started = Instant::now();
    let mut calls = 0u64;
    while started.elapsed() < RUN_FOR {
        work();
        calls += 1;
    }
    calls as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    keys::generate(dir.path(), Some("bench".into()), 2048, false, Utc::now()).expect("generate");
    let set = KeySet::load(dir.path(), Utc::now()).expect("load");
    let ttl = chrono::Duration::minutes(5);
    let user = uuid::Uuid::new_v4().to_string();

    let minted = rate(|| {
        set.sign_powersync(&user, "papyrus-powersync", ttl, Utc::now())
            .expect("sign");
    });

    let pem = std::fs::read_to_string(dir.path().join("bench.pem")).expect("pem");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("base64");
    let pair = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&der).expect("key");
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let message = [b'x'; 300];
    let mut signature = vec![0; pair.public_modulus_len()];
    let raw = rate(|| {
        pair.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &rng,
            &message,
            &mut signature,
        )
        .expect("raw sign");
    });

    println!("RSA-2048, one thread, {}s each:", RUN_FOR.as_secs());
    println!("  PowerSync tokens minted: {minted:>9.0} /s per core");
    println!("  raw RS256 signatures:    {raw:>9.0} /s per core");
    println!(
        "  overhead around the signature: {:.1}% ({:.1} µs per token)",
        (raw / minted - 1.0) * 100.0,
        (1.0 / minted - 1.0 / raw) * 1e6
    );
}
