//! `kind = "object_storage"`: a bucket (S3, GCS, Azure Blob). A GET (`.read`) takes the time to
//! the first byte and then the object's size (`[sizes]`, by request class) at the per-stream
//! `throughput`; a PUT (`.write`) likewise with `write_time`. The service scales out without
//! a queue of its own (it is modelled as infinitely many servers), and bills per request and
//! per GB stored each month.

mod kind;
mod bench_tests;
use super::KindStats;
use crate::dist::Dist;
use crate::engine::calls::{CallId, Op, Outcome};
use crate::engine::event::Event;
use crate::engine::windows::Totals;
use crate::engine::Ctx;
use crate::model::Cost;
use crate::rng::{stream, SimRng};
use crate::units::{parse_size, secs_to_ns, Nanos};
use crate::validate::Resolver;
use serde::Deserialize;

/// What `stagesim docs` says this kind costs beyond its instances and reports in its summary
/// object; a test fails when a run reports a field missing here.
pub const DOCS: super::KindDocs = super::KindDocs {
    usage_prices: &["storage", "storage_get", "storage_put"],
    metrics: &[&[
        ("gets", "GET requests"),
        ("puts", "PUT requests"),
        ("bytes_read", "bytes read"),
        ("bytes_written", "bytes written"),
        ("concurrency_mean", "transfers in progress, time-average"),
        ("stored_bytes", "bytes stored (billed per GB-month)"),
    ]],
};

/// Object storage (S3-style): time to first byte, then a transfer at `throughput`; billed per GB stored and per request (models/prices.toml). Calls name the operation: `photos.read`, `photos.write`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectStorageInput {
    /// The component kind.
    pub kind: String,
    /// Time to the first byte of a GET, e.g. "lognormal(mean = 20ms, cv = 0.5)".
    #[schemars(with = "crate::schema::Distribution")]
    pub first_byte_time: String,
    /// Time until a PUT starts streaming (default: `first_byte_time`).
    #[schemars(with = "Option<crate::schema::Distribution>")]
    pub write_time: Option<String>,
    /// Bytes per second of one object's transfer (default "90MB/s", about what one
    /// connection to S3 sustains).
    #[schemars(with = "Option<crate::schema::Throughput>")]
    pub throughput: Option<String>,
    /// Data held in the bucket, billed per GB-month (default "0B").
    #[schemars(with = "Option<crate::schema::Size>")]
    pub stored: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ObjectStorageSpec {
    pub first_byte_time: Dist,
    pub write_time: Dist,
    pub bytes_per_s: f64,
    pub stored_bytes: u64,
}

/// Parses `"90MB/s"` into bytes per second.
pub fn parse_throughput(text: &str) -> Result<f64, String> {
    let Some((size, per)) = text.split_once('/') else {
        return Err(format!("throughput `{text}` needs a time unit: write for example \"{text}/s\""));
    };
    let per_s = match per.trim() {
        "s" | "sec" | "second" => 1.0,
        "ms" => 1e-3,
        "min" | "m" => 60.0,
        other => return Err(format!("unknown period `{other}` in `{text}`: use s, ms or min")),
    };
    let bytes = parse_size(size.trim())? as f64 / per_s;
    if bytes > 0.0 && bytes.is_finite() {
        Ok(bytes)
    } else {
        Err(format!("throughput `{text}` must be greater than zero"))
    }
}

impl ObjectStorageInput {
    pub fn validate(&self, name: &str, r: &mut Resolver) -> Option<(ObjectStorageSpec, Cost)> {
        let base = ["components", name];
        let at = |k: &'static str| [base[0], base[1], k];
        let first_byte_time = r.dist(&at("first_byte_time"), &self.first_byte_time);
        let write_time = match &self.write_time {
            Some(w) => r.dist(&at("write_time"), w),
            None => first_byte_time.clone(),
        };
        let bytes_per_s = parse_throughput(self.throughput.as_deref().unwrap_or("90MB/s"))
            .map_err(|e| r.problem(&at("throughput"), e, "bytes per second, for example \"90MB/s\""))
            .ok();
        let stored_bytes = parse_size(self.stored.as_deref().unwrap_or("0B"))
            .map_err(|e| r.problem(&at("stored"), e, "a size such as \"500GiB\" or \"2TB\""))
            .ok();
        let spec = ObjectStorageSpec {
            first_byte_time: first_byte_time?,
            write_time: write_time?,
            bytes_per_s: bytes_per_s?,
            stored_bytes: stored_bytes?,
        };
        Some((spec, Cost::default()))
    }
}

pub struct ObjectStorage {
    spec: ObjectStorageSpec,
    rng: SimRng,
    gets: u64,
    puts: u64,
    bytes_read: u64,
    bytes_written: u64,
    work_ns: u128,
    /// Requests in progress, and its integral (the mean concurrency it served).
    busy: u32,
    busy_ns: u128,
    last: Nanos,
}

impl ObjectStorage {
    pub fn new(spec: &ObjectStorageSpec, name: &str, seed: u64) -> Self {
        ObjectStorage {
            spec: spec.clone(),
            rng: stream(seed, &format!("component:{name}")),
            gets: 0,
            puts: 0,
            bytes_read: 0,
            bytes_written: 0,
            work_ns: 0,
            busy: 0,
            busy_ns: 0,
            last: 0,
        }
    }

    fn advance(&mut self, now: Nanos) {
        let d = u128::from(now.saturating_sub(self.last)) * u128::from(self.busy);
        self.busy_ns += d;
        self.last = now;
    }

    pub fn deliver(&mut self, ctx: &mut Ctx, id: CallId) {
        let call = *ctx.calls.get(id);
        let size = ctx.size_of_class(ctx.requests.get(call.req).class);
        let start = match call.op {
            Op::Write => {
                self.puts += 1;
                self.bytes_written += size;
                self.spec.write_time.sample(&mut self.rng)
            }
            Op::Read | Op::Default => {
                self.gets += 1;
                self.bytes_read += size;
                self.spec.first_byte_time.sample(&mut self.rng)
            }
        };
        let t = start.saturating_add(secs_to_ns(size as f64 / self.spec.bytes_per_s));
        self.work_ns += u128::from(t);
        self.advance(ctx.now);
        self.busy += 1;
        ctx.schedule(t, Event::Done(id));
    }

    pub fn done(&mut self, ctx: &mut Ctx, id: CallId) {
        self.advance(ctx.now);
        self.busy -= 1;
        ctx.reply(id, Outcome::Ok);
    }

    pub fn totals(&mut self, now: Nanos) -> Totals {
        self.advance(now);
        Totals { busy_ns: 0, queue_ns: 0, servers: 0, ..Totals::default() }
    }

    pub fn sync(&mut self, now: Nanos) {
        self.advance(now);
    }

    pub fn reset_stats(&mut self, now: Nanos) {
        self.advance(now);
        self.gets = 0;
        self.puts = 0;
        self.bytes_read = 0;
        self.bytes_written = 0;
        self.work_ns = 0;
        self.busy_ns = 0;
    }

    pub fn stats(&self, elapsed: Nanos) -> KindStats {
        let n = self.gets + self.puts;
        let mut s = KindStats {
            // Infinitely many servers: no utilization; the mean time per request is its latency.
            service_s_mean: if n == 0 { 0.0 } else { self.work_ns as f64 / 1e9 / n as f64 },
            granted: n,
            ..KindStats::default()
        };
        let e = &mut s.extra;
        e.insert("gets".into(), self.gets as f64);
        e.insert("puts".into(), self.puts as f64);
        e.insert("bytes_read".into(), self.bytes_read as f64);
        e.insert("bytes_written".into(), self.bytes_written as f64);
        e.insert("concurrency_mean".into(), self.busy_ns as f64 / elapsed.max(1) as f64);
        e.insert("stored_bytes".into(), self.spec.stored_bytes as f64);
        s.usage.storage_gets = self.gets;
        s.usage.storage_puts = self.puts;
        s.usage.stored_bytes = self.spec.stored_bytes;
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_units() {
        assert_eq!(parse_throughput("90MB/s").unwrap(), 90e6);
        assert_eq!(parse_throughput("1KiB/ms").unwrap(), 1024e3);
        assert!(parse_throughput("90MB").unwrap_err().contains("time unit"));
        assert!(parse_throughput("0MB/s").is_err());
    }
}
