//! Shows each state as it enters and leaves, from the execution's history events.
//!
//! In: [`HistoryEvent`]s, as the execution records them ([`Progress::observe`], called
//! from a `History::custom` sink). Out: text on a writer (stderr in the programs):
//! - [`Style::Live`], for a terminal: one permanent line per finished state
//!   (`✔ Create an EKS cluster  0.52s`) and, below them, a line redrawn ten times a
//!   second with the states still running, their elapsed time and retries;
//! - [`Style::Plain`], for logs and pipes: one line when a state is entered, one when
//!   it is left (with its duration and retries), one per retry and one per failure.
//!
//! A retry has no event of its own in AWS's history: it shows as another
//! `TaskScheduled` in the same state entry, after a `TaskFailed`; that is how retries
//! are counted here. Durations come from the events' timestamps (the execution's
//! clock), so they are the states' own, not the time this display took to notice.

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use asl::runtime::exec::{EventType, HistoryEvent};
use time::OffsetDateTime;

/// How progress is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A redrawn status line and permanent lines for finished states (a terminal).
    Live { color: bool },
    /// One line per event that matters (logs, pipes, CI).
    Plain,
}

/// The progress display; clones share it.
#[derive(Clone)]
pub struct Progress {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    style: Style,
    out: Box<dyn Write + Send>,
    running: Vec<Running>,
    /// Whether a live line is on screen (and must be cleared before other output).
    line_shown: bool,
    frame: usize,
    finished: bool,
}

/// A state entered and not yet left.
struct Running {
    name: String,
    entered_at: OffsetDateTime,
    seen_at: Instant,
    /// `TaskScheduled` events in this entry: one per attempt.
    attempts: u32,
    last_error: Option<String>,
}

impl Running {
    fn retries(&self) -> u32 {
        self.attempts.saturating_sub(1)
    }
}

const SPINNER: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/// State names longer than this are cut in the live line, which must fit one row.
const LIVE_NAME_MAX: usize = 48;

impl Progress {
    pub fn new(style: Style, out: Box<dyn Write + Send>) -> Progress {
        Progress {
            inner: Arc::new(Mutex::new(Inner {
                style,
                out,
                running: Vec::new(),
                line_shown: false,
                frame: 0,
                finished: false,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while drawing must not silence the rest of the run.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Redraws the live line every 100 ms until [`Progress::finish`], so elapsed
    /// times move while a long task (a cluster creation) runs. Needs a tokio runtime;
    /// does nothing in plain style.
    pub fn start_ticker(&self) {
        if !matches!(self.lock().style, Style::Live { .. }) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                let mut inner = me.lock();
                if inner.finished {
                    return;
                }
                inner.frame = inner.frame.wrapping_add(1);
                inner.redraw();
            }
        });
    }

    /// Takes one history event into account.
    pub fn observe(&self, event: &HistoryEvent) {
        let mut inner = self.lock();
        if inner.finished {
            return;
        }
        inner.observe(event);
    }

    /// Clears the live line and stops redrawing.
    pub fn finish(&self) {
        let mut inner = self.lock();
        inner.finished = true;
        inner.clear_line();
        let _ = inner.out.flush();
    }
}

impl Inner {
    fn observe(&mut self, event: &HistoryEvent) {
        let name = event.state_name.as_deref().unwrap_or("");
        let t = event.event_type;
        if t.is_state_entered() {
            self.running.push(Running {
                name: name.to_string(),
                entered_at: event.timestamp,
                seen_at: Instant::now(),
                attempts: 0,
                last_error: None,
            });
            if self.style == Style::Plain {
                self.line(format!("enter  {name}"));
            }
            self.redraw();
            return;
        }
        match t {
            _ if is_state_exited(t) => {
                // Map iterations can run the same state concurrently: the oldest
                // entry of that name is the one leaving.
                if let Some(i) = self.running.iter().position(|r| r.name == name) {
                    let r = self.running.remove(i);
                    let took = elapsed(r.entered_at, event.timestamp);
                    let retries = retries_text(r.retries());
                    match self.style {
                        Style::Plain => self.line(format!("leave  {name}  {took}{retries}")),
                        Style::Live { color } => {
                            let mark = paint(color, "32", "✔");
                            self.line(format!("{mark} {name}  {took}{retries}"));
                        }
                    }
                }
                self.redraw();
            }
            EventType::TaskScheduled => {
                let Some(r) = self.running.iter_mut().rev().find(|r| r.name == name) else {
                    return;
                };
                r.attempts += 1;
                let attempts = r.attempts;
                let after = r
                    .last_error
                    .as_deref()
                    .map(|e| format!(" after {e}"))
                    .unwrap_or_default();
                if attempts > 1 {
                    match self.style {
                        Style::Plain => {
                            self.line(format!("retry  {name}  attempt {attempts}{after}"))
                        }
                        Style::Live { color } => {
                            let mark = paint(color, "33", "↻");
                            self.line(format!("{mark} {name}  attempt {attempts}{after}"));
                        }
                    }
                }
                self.redraw();
            }
            EventType::TaskFailed | EventType::TaskTimedOut => {
                let error = error_name(event);
                if let Some(r) = self.running.iter_mut().rev().find(|r| r.name == name) {
                    r.last_error = Some(error);
                }
            }
            EventType::ExecutionFailed | EventType::ExecutionTimedOut => {
                let error = error_name(event);
                // Whatever was still running is where the execution stopped.
                for r in std::mem::take(&mut self.running) {
                    let took = elapsed(r.entered_at, event.timestamp);
                    let retries = retries_text(r.retries());
                    let text = format!("{}  {took}{retries}: {error}", r.name);
                    match self.style {
                        Style::Plain => self.line(format!("fail   {text}")),
                        Style::Live { color } => {
                            let mark = paint(color, "31", "✘");
                            self.line(format!("{mark} {text}"));
                        }
                    }
                }
                self.redraw();
            }
            _ => {}
        }
    }

    /// Prints a permanent line (above the live line, which is redrawn after).
    fn line(&mut self, text: String) {
        self.clear_line();
        let _ = writeln!(self.out, "{text}");
        let _ = self.out.flush();
    }

    fn clear_line(&mut self) {
        if self.line_shown {
            let _ = write!(self.out, "\r\x1b[2K");
            self.line_shown = false;
        }
    }

    /// The live line: the states still running.
    fn redraw(&mut self) {
        let Style::Live { color } = self.style else {
            return;
        };
        self.clear_line();
        let Some(first) = self.running.first() else {
            let _ = self.out.flush();
            return;
        };
        let spinner = paint(color, "36", SPINNER[self.frame % SPINNER.len()]);
        let mut text = format!(
            "{spinner} {}  {:.1}s",
            cut(&first.name, LIVE_NAME_MAX),
            first.seen_at.elapsed().as_secs_f64()
        );
        if first.retries() > 0 {
            text.push_str(&retries_text(first.retries()));
        }
        if self.running.len() > 1 {
            text.push_str(&format!("  (+{} more)", self.running.len() - 1));
        }
        let _ = write!(self.out, "{text}");
        let _ = self.out.flush();
        self.line_shown = true;
    }
}

fn is_state_exited(t: EventType) -> bool {
    t.as_str().ends_with("StateExited")
}

/// The `error` of an event's details (a Fail state may name none).
fn error_name(event: &HistoryEvent) -> String {
    event
        .details
        .get("error")
        .and_then(|e| e.as_str())
        .unwrap_or("(no error name)")
        .to_string()
}

fn elapsed(from: OffsetDateTime, to: OffsetDateTime) -> String {
    let d = (to - from).max(time::Duration::ZERO);
    format!("{:.2}s", d.as_seconds_f64())
}

fn retries_text(n: u32) -> String {
    match n {
        0 => String::new(),
        1 => ", 1 retry".to_string(),
        n => format!(", {n} retries"),
    }
}

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(max - 1).collect();
        c.push('…');
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buffer {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn event(
        ms: i64,
        t: EventType,
        state: Option<&str>,
        details: serde_json::Value,
    ) -> HistoryEvent {
        HistoryEvent {
            id: 0,
            timestamp: OffsetDateTime::UNIX_EPOCH + time::Duration::milliseconds(ms),
            event_type: t,
            execution: Arc::from("x"),
            state_name: state.map(str::to_string),
            previous_event_id: 0,
            details,
        }
    }

    fn feed(style: Style, events: &[HistoryEvent]) -> String {
        let buf = Buffer::default();
        let p = Progress::new(style, Box::new(buf.clone()));
        for e in events {
            p.observe(e);
        }
        p.finish();
        buf.text()
    }

    fn retried_task() -> Vec<HistoryEvent> {
        use EventType::*;
        let s = Some("Create an EKS cluster");
        vec![
            event(0, ExecutionStarted, None, json!({})),
            event(0, TaskStateEntered, s, json!({})),
            event(1, TaskScheduled, s, json!({})),
            event(
                5,
                TaskFailed,
                s,
                json!({"error": "EKS.ResourceInUseException"}),
            ),
            event(30_005, TaskScheduled, s, json!({})),
            event(31_250, TaskSucceeded, s, json!({})),
            event(31_250, TaskStateExited, s, json!({})),
            event(
                31_250,
                ChoiceStateEntered,
                Some("Examine output"),
                json!({}),
            ),
            event(31_251, ChoiceStateExited, Some("Examine output"), json!({})),
        ]
    }

    #[test]
    fn plain_lines_show_entries_durations_and_retries() {
        let text = feed(Style::Plain, &retried_task());
        assert_eq!(
            text,
            "enter  Create an EKS cluster\n\
             retry  Create an EKS cluster  attempt 2 after EKS.ResourceInUseException\n\
             leave  Create an EKS cluster  31.25s, 1 retry\n\
             enter  Examine output\n\
             leave  Examine output  0.00s\n"
        );
        assert!(!text.contains('\x1b'), "no escape codes in plain style");
    }

    #[test]
    fn live_style_redraws_one_line_and_keeps_finished_states() {
        let text = feed(Style::Live { color: false }, &retried_task());
        // The running state is drawn, then cleared before each permanent line.
        assert!(text.contains("\r\x1b[2K"), "{text:?}");
        assert!(
            text.contains("✔ Create an EKS cluster  31.25s, 1 retry\n"),
            "{text:?}"
        );
        assert!(
            text.contains("↻ Create an EKS cluster  attempt 2 after EKS.ResourceInUseException\n")
        );
        assert!(text.contains("✔ Examine output  0.00s\n"));
        // finish() leaves no live line behind.
        assert!(text.ends_with('\n'), "{text:?}");
    }

    #[test]
    fn a_failed_execution_marks_the_state_that_was_running() {
        use EventType::*;
        let s = Some("Run a job on EKS");
        let text = feed(
            Style::Plain,
            &[
                event(0, TaskStateEntered, s, json!({})),
                event(0, TaskScheduled, s, json!({})),
                event(
                    2_000,
                    TaskFailed,
                    s,
                    json!({"error": "EKS.401", "cause": "..."}),
                ),
                event(2_000, ExecutionFailed, None, json!({"error": "EKS.401"})),
            ],
        );
        assert_eq!(
            text,
            "enter  Run a job on EKS\nfail   Run a job on EKS  2.00s: EKS.401\n"
        );
    }

    #[test]
    fn concurrent_entries_of_one_state_leave_oldest_first() {
        use EventType::*;
        let s = Some("Item");
        let text = feed(
            Style::Plain,
            &[
                event(0, PassStateEntered, s, json!({})),
                event(100, PassStateEntered, s, json!({})),
                event(300, PassStateExited, s, json!({})),
                event(400, PassStateExited, s, json!({})),
            ],
        );
        assert!(
            text.contains("leave  Item  0.30s\nleave  Item  0.30s\n"),
            "{text}"
        );
    }
}
