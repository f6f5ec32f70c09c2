//! Checking passwords without letting sign-ins exhaust the machine.
//!
//! argon2id needs 19 MiB per hash. Hashed on the general blocking pool,
//! 128 parallel wrong sign-ins made 128 threads each take (and their
//! allocator arenas keep) 19 MiB, while holding a database connection.
//! Here a fixed set of threads (one per core by default) computes the
//! hashes, each reusing one memory area, so memory stays at
//! `threads × 19 MiB` however many attempts arrive. An attempt that finds
//! every thread busy is refused at once ([`Busy`]) instead of queueing.
//! The threads run at a lower priority, so pages stay quick meanwhile.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use argon2::password_hash::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

/// The largest memory a stored hash may ask for (64 MiB), so that a
/// tampered hash cannot make a thread allocate without bound.
const MAX_BLOCKS: usize = 64 * 1024;
/// Longer passwords are refused before hashing.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Every hashing thread is busy: answer "try again" at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

struct Job {
    password: String,
    hash: String,
    reply: oneshot::Sender<bool>,
    /// Held until the thread is done, so that the admission count is the
    /// number of hashes being computed.
    permit: OwnedSemaphorePermit,
}

#[derive(Clone)]
pub struct PasswordChecker {
    jobs: SyncSender<Job>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for PasswordChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PasswordChecker({} free)",
            self.permits.available_permits()
        )
    }
}

impl PasswordChecker {
    /// Starts `threads` hashing threads (at least one).
    pub fn start(threads: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let (jobs, receiver) = sync_channel::<Job>(threads);
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..threads {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("musubi-argon2-{i}"))
                .spawn(move || hashing_thread(&receiver))?;
        }
        Ok(Self {
            jobs,
            permits: Arc::new(Semaphore::new(threads)),
        })
    }

    /// A place on a hashing thread, taken before any other work of a
    /// sign-in. Never waits: when every thread is taken the answer is
    /// [`Busy`], at once.
    pub fn admit(&self) -> Result<Admission, Busy> {
        let permit = self.permits.clone().try_acquire_owned().map_err(|_| Busy)?;
        Ok(Admission {
            jobs: self.jobs.clone(),
            permit,
        })
    }
}

/// A place on a hashing thread, held until its one hash is computed.
pub struct Admission {
    jobs: SyncSender<Job>,
    permit: OwnedSemaphorePermit,
}

impl Admission {
    /// Whether `password` matches the PHC string `hash`.
    pub async fn verify(self, password: String, hash: String) -> Result<bool, Busy> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Ok(false);
        }
        let (reply, answer) = oneshot::channel();
        self.jobs
            .try_send(Job {
                password,
                hash,
                reply,
                permit: self.permit,
            })
            .map_err(|_| Busy)?;
        answer.await.map_err(|_| Busy)
    }
}

fn hashing_thread(receiver: &Mutex<Receiver<Job>>) {
    lower_priority();
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = {
            let Ok(receiver) = receiver.lock() else {
                return;
            };
            match receiver.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        let Job {
            password,
            hash,
            reply,
            permit,
        } = job;
        let matches = verify_with(&mut memory, password.as_bytes(), &hash);
        // Free the thread's place before answering, so that whoever hears
        // the answer can be admitted again at once.
        drop(permit);
        let _ = reply.send(matches);
    }
}

/// Hashing yields to request handling (Linux applies a nice value to the
/// calling thread alone).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; `0` names the
    // calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 5);
    }
}

/// Computes the hash of `password` with the parameters and salt of `phc`
/// in `memory` (grown once, then reused) and compares in constant time.
fn verify_with(memory: &mut Vec<Block>, password: &[u8], phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return false;
    }
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut out, &mut memory[..blocks])
        .is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher;
    use argon2::password_hash::SaltString;
    use argon2::password_hash::rand_core::OsRng;

    fn hash(password: &str) -> String {
        Argon2::default()
            .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string()
    }

    #[test]
    fn reused_memory_verifies_like_argon2_itself() {
        let stored = hash("中之島で会いましょう-2031");
        let mut memory = Vec::new();
        assert!(verify_with(
            &mut memory,
            "中之島で会いましょう-2031".as_bytes(),
            &stored
        ));
        assert!(!verify_with(&mut memory, b"wrong password!", &stored));
        assert!(verify_with(
            &mut memory,
            "中之島で会いましょう-2031".as_bytes(),
            &stored
        ));
        assert!(!verify_with(&mut memory, b"x", "not a hash"));
        // A stored hash asking for 1 GiB is refused, not computed.
        let greedy = stored.replace("m=19456", "m=1048576");
        assert!(!verify_with(&mut memory, b"x", &greedy));
    }

    #[tokio::test]
    async fn attempts_beyond_the_threads_are_refused_at_once() {
        let checker = PasswordChecker::start(1).unwrap();
        let stored = hash("a long passphrase here");
        let mut admitted: Vec<_> = (0..6).map(|_| checker.admit()).collect();
        assert!(
            admitted[1..].iter().all(Result::is_err),
            "one thread, one place"
        );
        let first = admitted.remove(0).unwrap();
        assert_eq!(
            first.verify("wrong guess".into(), stored.clone()).await,
            Ok(false)
        );
        // The place is free again once its hash is done.
        let again = checker.admit().unwrap();
        assert_eq!(
            again.verify("a long passphrase here".into(), stored).await,
            Ok(true)
        );
    }
}
