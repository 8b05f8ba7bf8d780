//! Calls that outlive their request's answer. A caller that times out answers at once while
//! the call it gave up on runs on, with its subtree, reading its request. The request's slot
//! must stay theirs until they end: reused by a new request, a queue below would take the
//! producer's message for its own consumer's work (and retire someone else's request).

use crate::flow_support::{extra, run_text};

/// `front` gives up on `slow` after 20 ms, but `slow` takes 30 ms on average and then
/// enqueues a message: most requests are answered (failed) long before their message is
/// produced, while the queue's consumers keep taking new request slots for their work.
const ORPHANS: &str = r#"[scenario]
name = "orphaned calls produce messages"
duration = "20s"
warmup = "2s"

[load]
rate = "1000/s"
timeout = "10s"

[components.front]
kind = "service"
cores = 8
service_time = "exp(mean = 0.1ms)"
calls = ["slow"]
timeout = "20ms"

[components.slow]
kind = "service"
cores = 256
max_in_flight = 256
service_time = "exp(mean = 30ms)"
calls = ["jobs"]

[components.jobs]
kind = "queue"
ack_time = "exp(mean = 1ms)"
workers = 16
work_time = "exp(mean = 1ms)"
"#;

#[test]
fn orphaned_calls_keep_their_request_until_they_end() {
    for seed in 1..=3 {
        let s = run_text(ORPHANS, Some(seed));
        let r = &s.requests;
        assert_eq!(r.arrived, r.completed + r.failed + r.rejected + r.timed_out + r.in_flight);
        // exp(30 ms) beyond 20 ms: about half the requests fail at `front`'s timeout, yet
        // every request's message is produced by `slow` and consumed once.
        assert!(r.error_ratio > 0.4 && r.error_ratio < 0.6, "error ratio {}", r.error_ratio);
        let (enqueued, processed) = (extra(&s, "jobs", "enqueued"), extra(&s, "jobs", "processed"));
        assert!((processed - enqueued).abs() < 50.0, "{processed} vs {enqueued}");
        let expected = s.measured_s * 1000.0;
        assert!((enqueued - expected).abs() < 0.05 * expected, "{enqueued} messages, expected ~{expected}");
    }
}
