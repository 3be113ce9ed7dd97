//! Random tokens for cookies and emailed links, and the hashes they are stored as: the
//! database holds only a token's SHA-256, so a copy of it opens nothing.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// `bytes` random bytes from the operating system, as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A new random token for a link or cookie (256 bits as hex), and its SHA-256 for storage.
pub fn new_token() -> (String, Vec<u8>) {
    let token = random_hex(32);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_stored_only_as_hashes() {
        let (one, hash) = new_token();
        let (two, _) = new_token();
        assert_eq!(one.len(), 64);
        assert_ne!(one, two);
        assert_eq!(hash, token_hash(&one));
        assert_ne!(hash, one.as_bytes());
    }
}
