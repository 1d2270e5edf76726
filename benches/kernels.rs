//! `cargo bench`: the same measurements as `gan-gpu bench`, through the same
//! code path (`gan_gpu::bench`), at the default batch sizes. Set
//! GAN_GPU_BENCH_BATCHES=32,64 or GAN_GPU_BENCH_OPS=conv2 to narrow it, and
//! GAN_GPU_BENCH_JSON=file.json to keep the results.

use gan_gpu::bench::{format_report, run, BenchOptions};
use gan_gpu::gpu::AdapterChoice;

fn list(var: &str) -> Option<Vec<String>> {
    std::env::var(var).ok().map(|v| {
        v.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

fn main() {
    let batch_sizes = list("GAN_GPU_BENCH_BATCHES")
        .map(|v| {
            v.iter()
                .map(|s| s.parse().expect("GAN_GPU_BENCH_BATCHES holds integers"))
                .collect()
        })
        .unwrap_or_else(|| vec![32, 64, 128]);
    let opts = BenchOptions {
        batch_sizes,
        ops: list("GAN_GPU_BENCH_OPS").unwrap_or_default(),
        reps: 5,
        train_steps: 10,
        adapter: AdapterChoice::default(),
        image_size: 28,
        channels: 1,
    };
    let report = run(&opts).unwrap_or_else(|e| panic!("{e}"));
    print!("{}", format_report(&report));
    if let Ok(path) = std::env::var("GAN_GPU_BENCH_JSON") {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&report).expect("report serialises"),
        )
        .expect("writing the JSON report");
    }
}
