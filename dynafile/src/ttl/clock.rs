//! The clock a table judges expiry by: the system's, or one that tests move by hand.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What time it is, for TTL: a table judges every item's expiry against its clock
/// ([`Builder::clock`](crate::Builder::clock); [`SystemClock`] by default).
///
/// A clock need not be monotonic; an item expires once the clock passes its TTL, and shows
/// again if the clock goes back before it is swept.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until told otherwise: for tests of expiry without sleeps.
///
/// ```
/// use std::sync::Arc;
/// use dynafile::{item, Dynafile, Key, KeyType, ManualClock};
/// # let dir = tempfile::tempdir()?;
/// let clock = Arc::new(ManualClock::at_epoch_seconds(1_000));
/// let db = Dynafile::builder(dir.path().join("db"))
///     .partition_key("PK", KeyType::S)
///     .ttl_attribute("expires_at")
///     .clock(clock.clone())
///     .open()?;
/// db.put_item(&item! { "PK" => "session", "expires_at" => 1_010 })?;
/// assert!(db.get_item(Key::new("session"))?.is_some());
/// clock.advance_seconds(11);
/// assert_eq!(db.get_item(Key::new("session"))?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    seconds: AtomicI64,
}

impl ManualClock {
    /// A clock showing `seconds` after the Unix epoch.
    #[must_use]
    pub fn at_epoch_seconds(seconds: i64) -> ManualClock {
        ManualClock {
            seconds: AtomicI64::new(seconds),
        }
    }

    /// Sets the clock to `seconds` after the Unix epoch.
    pub fn set_epoch_seconds(&self, seconds: i64) {
        self.seconds.store(seconds, Ordering::SeqCst);
    }

    /// Moves the clock forward by `seconds` (back, when negative).
    pub fn advance_seconds(&self, seconds: i64) {
        self.seconds.fetch_add(seconds, Ordering::SeqCst);
    }

    /// The seconds after the Unix epoch the clock shows.
    #[must_use]
    pub fn epoch_seconds(&self) -> i64 {
        self.seconds.load(Ordering::SeqCst)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        let seconds = self.epoch_seconds();
        let offset = Duration::from_secs(seconds.unsigned_abs());
        if seconds >= 0 {
            UNIX_EPOCH + offset
        } else {
            UNIX_EPOCH - offset
        }
    }
}

/// Whole seconds since the Unix epoch of `time`, rounded down (negative before it).
pub(crate) fn epoch_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            // 1.5 s before the epoch is in second -2.
            -whole - i64::from(before.subsec_nanos() > 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_round_down_on_both_sides_of_the_epoch() {
        assert_eq!(epoch_seconds(UNIX_EPOCH + Duration::from_millis(1_500)), 1);
        assert_eq!(epoch_seconds(UNIX_EPOCH - Duration::from_millis(1_500)), -2);
        assert_eq!(epoch_seconds(UNIX_EPOCH - Duration::from_secs(3)), -3);
        let clock = ManualClock::at_epoch_seconds(-7);
        assert_eq!(epoch_seconds(clock.now()), -7);
        clock.advance_seconds(10);
        assert_eq!(epoch_seconds(clock.now()), 3);
    }
}
