//! The parses of JSONata text given at run time
//! ([`JsonataExpr::owned`](super::JsonataExpr::owned),
//! [`eval_json_template`](super::eval_json_template)), kept per distinct text so that the same text is
//! parsed once, however many times and on however many threads it is
//! evaluated.
//!
//! Text known at build time needs none of this: generated code holds one
//! `static` [`JsonataExpr`](super::JsonataExpr) per expression, which keeps
//! its own parses.
//!
//! The cache is bounded: at most [`MAX_ENTRIES`] texts and [`MAX_BYTES`] bytes
//! of text; past either, the text used least recently leaves (an expression
//! still holding its parses keeps them). A text longer than [`MAX_BYTES`] is
//! not kept: each `JsonataExpr` of it parses it once. The parses themselves
//! are made on first use inside the shared entry (a
//! [`OnceLock`](std::sync::OnceLock) each), outside
//! the cache's lock, so two threads asking for a new text at once parse it once
//! and a long parse blocks no other text.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use super::Parsed;

/// The most texts the cache keeps.
pub const MAX_ENTRIES: usize = 1_024;
/// The most bytes of text the cache keeps (the parses are about proportional).
pub const MAX_BYTES: usize = 16 << 20;

/// What the cache holds and how it has been used, since the process started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Texts kept now.
    pub entries: usize,
    /// Bytes of text kept now.
    pub bytes: usize,
    /// Lookups that found their text.
    pub hits: u64,
    /// Lookups that did not (the text was then added, when it fits).
    pub misses: u64,
}

/// The cache's contents and use counts now.
pub fn stats() -> Stats {
    let cache = lock();
    Stats {
        entries: cache.map.len(),
        bytes: cache.bytes,
        hits: HITS.load(Ordering::Relaxed),
        misses: MISSES.load(Ordering::Relaxed),
    }
}

struct Cache {
    map: HashMap<Arc<str>, Entry>,
    bytes: usize,
    /// Counts lookups: an entry's `used` is the count at its last lookup.
    clock: u64,
}

struct Entry {
    parsed: Arc<Parsed>,
    used: u64,
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(|| Mutex::new(Cache::new()));
static HITS: AtomicU64 = AtomicU64::new(0);
static MISSES: AtomicU64 = AtomicU64::new(0);

fn lock() -> std::sync::MutexGuard<'static, Cache> {
    // Nothing panics while the lock is held but allocation; the map stays whole.
    CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The shared parses of `text`.
pub(super) fn parsed(text: &str) -> Arc<Parsed> {
    lock().parsed(text, MAX_ENTRIES, MAX_BYTES)
}

impl Cache {
    fn new() -> Self {
        Cache {
            map: HashMap::new(),
            bytes: 0,
            clock: 0,
        }
    }

    /// The entry of `text`, added when missing, within `max_entries` texts and
    /// `max_bytes` bytes.
    fn parsed(&mut self, text: &str, max_entries: usize, max_bytes: usize) -> Arc<Parsed> {
        self.clock += 1;
        let now = self.clock;
        if let Some(entry) = self.map.get_mut(text) {
            entry.used = now;
            HITS.fetch_add(1, Ordering::Relaxed);
            return Arc::clone(&entry.parsed);
        }
        MISSES.fetch_add(1, Ordering::Relaxed);
        let parsed = Arc::<Parsed>::default();
        if text.len() > max_bytes {
            return parsed;
        }
        while self.map.len() >= max_entries || self.bytes + text.len() > max_bytes {
            let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, entry)| entry.used)
                .map(|(key, _)| Arc::clone(key))
            else {
                break;
            };
            self.map.remove(&oldest);
            self.bytes -= oldest.len();
        }
        self.bytes += text.len();
        self.map.insert(
            Arc::from(text),
            Entry {
                parsed: Arc::clone(&parsed),
                used: now,
            },
        );
        parsed
    }
}

#[cfg(test)]
thread_local! {
    /// Parses made on this thread (both parsers), for tests.
    static PARSES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts one parse (tests only).
#[inline]
pub(super) fn count_parse() {
    #[cfg(test)]
    PARSES.with(|parses| parses.set(parses.get() + 1));
}

/// Parses made on this thread so far.
#[cfg(test)]
pub(super) fn parses() -> usize {
    PARSES.with(|parses| parses.get())
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::{Cache, parsed, parses, stats};
    use serde_json::json;

    fn scope_input() -> (Value, Value) {
        (json!({"items": [3, 1, 2], "name": "x"}), json!({}))
    }

    /// Evaluating run-time text a second time parses nothing: the full
    /// evaluator's text, the native subset's and a JSON template's.
    #[test]
    fn the_same_text_is_parsed_once() {
        let (input, context) = scope_input();
        let scope = JsonataScope::new(&input, &context);
        // A name of this test's own keeps the texts out of other tests' way.
        let full = "$sort($states.input.items, function($a, $b) { $a < $b }) ~> $map(function($v) { $v & 'once-1' })";
        let native = "$states.input.name & 'once-2'";
        let template = json!({"a": "{% $states.input.items[0] + 0.5 %}", "b": ["{% $uppercase($states.input.name) & 'once-3' %}"]});
        for text in [full, native] {
            let before = parses();
            let first = JsonataExpr::owned(text).evaluate(&scope).unwrap();
            let parsed = parses() - before;
            assert!(parsed > 0, "{text}: the first evaluation parses");
            let again = parses();
            let second = JsonataExpr::owned(text.to_owned())
                .evaluate(&scope)
                .unwrap();
            assert_eq!(first, second);
            assert_eq!(parses(), again, "{text}: parsed again");
        }
        let before = parses();
        let first = eval_json_template(&template, &scope, "Output").unwrap();
        assert!(parses() > before);
        let again = parses();
        for _ in 0..3 {
            assert_eq!(
                eval_json_template(&template, &scope, "Output").unwrap(),
                first
            );
        }
        assert_eq!(parses(), again, "a template's texts parsed again");
        assert!(stats().hits >= 4);
    }

    /// Threads share one parse of a text.
    #[test]
    fn threads_share_the_parse() {
        let text = "$reverse($states.input.items) ~> $append('shared-threads')";
        let first = parsed(text);
        let (input, context) = scope_input();
        std::thread::scope(|threads| {
            for _ in 0..4 {
                threads.spawn(|| {
                    let scope = JsonataScope::new(&input, &context);
                    let expr = JsonataExpr::owned(text);
                    assert_eq!(
                        expr.evaluate(&scope).unwrap(),
                        Some(json!([2, 1, 3, "shared-threads"]))
                    );
                    assert!(std::ptr::eq(expr.parsed(), &*first));
                });
            }
        });
    }

    /// The cache keeps at most its bounds, and drops the text used least
    /// recently first.
    #[test]
    fn the_cache_is_bounded() {
        let mut cache = Cache::new();
        let (entries, bytes) = (50, 1_000);
        let kept = cache.parsed("'kept'", entries, bytes);
        for i in 0..entries + 10 {
            // The first text stays in use while the others come in.
            assert!(Arc::ptr_eq(&cache.parsed("'kept'", entries, bytes), &kept));
            cache.parsed(&format!("'{i}'"), entries, bytes);
        }
        assert_eq!(cache.map.len(), entries);
        assert!(cache.bytes <= bytes);
        assert!(!cache.map.contains_key("'0'"), "the oldest text left");
        assert!(cache.map.contains_key("'59'"));
        assert!(Arc::ptr_eq(&cache.parsed("'kept'", entries, bytes), &kept));
        // Bytes bound too: a 600-byte text makes room for itself.
        let long = format!("'{}'", "x".repeat(598));
        cache.parsed(&long, entries, bytes);
        assert!(cache.map.contains_key(long.as_str()));
        assert!(cache.bytes <= bytes, "{}", cache.bytes);
        // A text past the byte bound is not kept, and nothing leaves for it.
        let held = cache.map.len();
        let huge = format!("'{}'", "x".repeat(bytes));
        let once = cache.parsed(&huge, entries, bytes);
        assert!(!Arc::ptr_eq(&once, &cache.parsed(&huge, entries, bytes)));
        assert_eq!(cache.map.len(), held);
    }
}
