//! One `Notify` per queue per file in this process, so a send through one `SqliteQueue`
//! wakes a receiver waiting on another handle of the same queue at once (the local stack
//! may open the `process` queue once for its API and once for its worker).
//!
//! Other processes cannot reach it; their sends are found by the long-poll's bounded poll.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::sync::Notify;

type Key = (PathBuf, String);

/// Weak, so a queue nobody holds any more leaves nothing behind but a pruned entry.
static WAKEUPS: Mutex<BTreeMap<Key, Weak<Notify>>> = Mutex::new(BTreeMap::new());

/// The notifier of `queue` in the database at `path`, shared with every other handle of
/// this process on the same file and queue.
pub(super) fn for_queue(path: &Path, queue: &str) -> Arc<Notify> {
    // The same file reached by two spellings of its path is one key. A path that cannot be
    // resolved only costs the instant wake-up between handles: the poll still finds sends.
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    // The map holds no invariant a panic could break halfway, so a poisoned lock is usable.
    let mut wakeups = WAKEUPS.lock().unwrap_or_else(PoisonError::into_inner);
    wakeups.retain(|_, notify| notify.strong_count() > 0);
    let key = (path, queue.to_owned());
    if let Some(notify) = wakeups.get(&key).and_then(Weak::upgrade) {
        return notify;
    }
    let notify = Arc::new(Notify::new());
    wakeups.insert(key, Arc::downgrade(&notify));
    notify
}
