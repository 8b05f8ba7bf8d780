//! Requests completed per wall-second on one thread, for scenarios loaded from TOML.
//!
//! Targets on the 2-core reference machine (see README): M/M/1 >= 7 million requests/s,
//! tandem >= 2.5 million requests/s. Run: `cargo bench --bench engine`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use stagesim::runner::run_once;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    for name in ["mm1", "tandem"] {
        let path = format!("{}/scenarios/queueing/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        let mut model = stagesim::load_scenario(&path).expect("shipped scenario");
        model.duration = 300_000_000_000; // 5 simulated minutes
        model.warmup = 0;
        let completed = run_once(&model, 0).total.outcomes.completed;
        group.throughput(Throughput::Elements(completed));
        group.bench_function(name, |b| b.iter(|| run_once(&model, 0).total.outcomes.completed));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
