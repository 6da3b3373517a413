//! Password hashing.
//!
//! New hashes are argon2id at OWASP's recommended parameters (19 MiB, 2 passes, one
//! lane). Hashes of the earlier server (bcrypt `$2a$`, `$2b$`, `$2y$`) still verify,
//! and [`Verification::needs_rehash`] tells the caller to replace them.
//!
//! Hashing is deliberately slow, so it runs on the blocking pool and never on the
//! async executor, and at most a few hashes run at once: a burst of logins queues
//! instead of taking 19 MiB per request without bound. An unknown user is checked
//! against a dummy hash so that the answer takes as long as for a known one.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{OnceCell, Semaphore};

const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// The result of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    pub matches: bool,
    /// The hash uses an older scheme or weaker parameters than today's.
    pub needs_rehash: bool,
}

/// Hashes and verifies passwords on the blocking pool, a bounded number at a time.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    dummy: Arc<OnceCell<String>>,
}

impl Default for Passwords {
    fn default() -> Self {
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            permits: Arc::new(Semaphore::new(parallel * 2)),
            dummy: Arc::new(OnceCell::new()),
        }
    }
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .unwrap_or_else(|_| unreachable!("constant argon2 parameters are valid"));
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on the current thread; callers on the runtime use [`Passwords::hash`].
pub fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| PasswordError::Hashing(e.to_string()))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Verifies on the current thread. An unparseable hash never matches.
pub fn verify_blocking(password: &str, hash: &str) -> Verification {
    if is_bcrypt(hash) {
        let matches = bcrypt::verify(password, hash).unwrap_or(false);
        return Verification {
            matches,
            needs_rehash: true,
        };
    }

    let Ok(parsed) = PasswordHash::new(hash) else {
        return Verification {
            matches: false,
            needs_rehash: false,
        };
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    Verification {
        matches,
        needs_rehash: !has_current_params(&parsed),
    }
}

fn is_bcrypt(hash: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p))
}

fn has_current_params(hash: &PasswordHash<'_>) -> bool {
    let Ok(params) = Params::try_from(hash) else {
        return false;
    };
    hash.algorithm.as_str() == "argon2id"
        && params.m_cost() >= MEMORY_KIB
        && params.t_cost() >= ITERATIONS
}

impl Passwords {
    pub async fn hash(&self, password: &SecretString) -> Result<String, PasswordError> {
        let password = password.clone();
        self.run(move || hash_blocking(password.expose_secret()))
            .await?
    }

    pub async fn verify(
        &self,
        password: &SecretString,
        hash: &str,
    ) -> Result<Verification, PasswordError> {
        let (password, hash) = (password.clone(), hash.to_owned());
        self.run(move || verify_blocking(password.expose_secret(), &hash))
            .await
    }

    /// Spends the time a real verification takes, for users that do not exist.
    pub async fn verify_dummy(&self, password: &SecretString) -> Result<(), PasswordError> {
        let dummy = self
            .dummy
            .get_or_try_init(|| async {
                let throwaway = SecretString::from(crate::auth::tokens::random_token());
                self.hash(&throwaway).await
            })
            .await?
            .clone();
        self.verify(password, &dummy).await.map(|_| ())
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| PasswordError::Hashing(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| PasswordError::Hashing(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hashes_verify_and_are_current() {
        let hash = hash_blocking("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let ok = verify_blocking("correct horse", &hash);
        assert_eq!(
            ok,
            Verification {
                matches: true,
                needs_rehash: false
            }
        );
        assert!(!verify_blocking("wrong horse", &hash).matches);
    }

    #[test]
    fn bcrypt_hashes_verify_and_ask_for_rehash() {
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let hash = bcrypt::hash("legacy pass", 4).unwrap();
            let hash = format!("{prefix}{}", &hash[4..]);
            let result = verify_blocking("legacy pass", &hash);
            assert!(result.matches, "{prefix}");
            assert!(result.needs_rehash);
            assert!(!verify_blocking("other pass", &hash).matches);
        }
    }

    #[test]
    fn garbage_hashes_never_match() {
        assert!(!verify_blocking("x", "not a hash").matches);
        assert!(!verify_blocking("x", "").matches);
    }

    #[test]
    fn weaker_argon2_parameters_ask_for_rehash() {
        let params = Params::new(8 * 1024, 1, 1, None).unwrap();
        let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        let hash = weak.hash_password(b"pw", &salt).unwrap().to_string();
        let result = verify_blocking("pw", &hash);
        assert!(result.matches && result.needs_rehash);
    }
}
