//! A short run end to end: every output, the checkpoint, `sample` from it,
//! refusal to overwrite a run, and exact resume and determinism.

use crate::common::*;
use gan_gpu::gpu::AdapterChoice;
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::checkpoint::{self};
use gan_gpu::train::run::{self, Outcome};
use gan_gpu::train::TrainConfig;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

fn png_size(path: &Path) -> (u32, u32) {
    image::image_dimensions(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// With `--movie-every 3`, a frame every 3 steps; a run stopped after its
/// first epoch and resumed leaves the same movie, byte for byte, as one
/// run straight through.
#[test]
fn movie_has_a_frame_every_n_steps_and_survives_a_resume() {
    let cfg = TrainConfig {
        movie_every: Some(3),
        ..config(8, Optimizer::adam(2e-4), 32, 3)
    };
    let whole = tempfile::tempdir().unwrap();
    run::train(
        run_opts(cfg.clone(), whole.path(), None),
        &AtomicBool::new(false),
    )
    .unwrap();
    // 3 epochs of 4 steps: frames at steps 3, 6, 9 and 12.
    let side = 8 * (28 * 4 + 2) + 2;
    let movie = whole.path().join("progress.gif");
    assert_eq!(gif_frames(&movie), (4, side / 2, side / 2));
    let split = tempfile::tempdir().unwrap();
    let first = TrainConfig {
        epochs: 1,
        ..cfg.clone()
    };
    run::train(run_opts(first, split.path(), None), &AtomicBool::new(false)).unwrap();
    assert_eq!(gif_frames(&split.path().join("progress.gif")).0, 1);
    let ckpt = split.path().join("checkpoint.safetensors");
    run::train(
        run_opts(cfg, split.path(), Some(ckpt)),
        &AtomicBool::new(false),
    )
    .unwrap();
    assert!(
        std::fs::read(&movie).unwrap() == std::fs::read(split.path().join("progress.gif")).unwrap()
    );
}

/// One short run (2 epochs of 10 steps at batch 16) that several tests read.
struct ShortRun {
    dir: tempfile::TempDir,
    cfg: TrainConfig,
    pos: gan_gpu::train::Position,
    tensors: BTreeMap<String, Vec<f32>>,
}

fn short_run() -> &'static ShortRun {
    static RUN: OnceLock<ShortRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(16, Optimizer::adam(2e-4), 160, 2);
        let (outcome, t) = run::train(
            run_opts(cfg.clone(), dir.path(), None),
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(outcome, Outcome::Finished);
        ShortRun {
            pos: t.pos,
            tensors: tensor_map(&t),
            dir,
            cfg,
        }
    })
}

#[test]
fn short_run_writes_every_output() {
    let r = short_run();
    let dir = r.dir.path();
    assert_eq!((r.pos.epoch, r.pos.global_step), (2, 20));
    // 8 tiles of 28·4 pixels plus 2-pixel gaps.
    let side = 8 * (28 * 4 + 2) + 2;
    assert_eq!(png_size(&dir.join("real.png")), (side, side));
    for e in 1..=2 {
        assert_eq!(
            png_size(&dir.join(format!("samples/epoch_{e:03}.png"))),
            (side, side)
        );
    }
    assert_eq!(png_size(&dir.join("loss.png")), (960, 540));
    // A frame per epoch, at half the grid's size.
    assert_eq!(
        gif_frames(&dir.join("progress.gif")),
        (2, side / 2, side / 2)
    );
    let saved: TrainConfig =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(saved, r.cfg);
    let csv = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], gan_gpu::train::output::CSV_HEADER);
    assert_eq!(lines.iter().filter(|l| l.starts_with("epoch,")).count(), 2);
    assert!(lines.iter().filter(|l| l.starts_with("step,")).count() >= 6);
    for l in &lines[1..] {
        for v in l.split(',').skip(3).take(5) {
            let v: f64 = v.parse().unwrap();
            assert!(v.is_finite() && v >= 0.0, "bad metric in {l}");
        }
    }
    // No temporary file is left behind by the atomic writes.
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn checkpoint_holds_every_tensor_and_loads_back() {
    let r = short_run();
    let ckpt = checkpoint::load(&r.dir.path().join("checkpoint.safetensors")).unwrap();
    assert_eq!(ckpt.pos, r.pos);
    assert_eq!(ckpt.config, r.cfg);
    assert_eq!(ckpt.tensors.len(), r.tensors.len());
    for (name, v) in &r.tensors {
        assert_eq!(&ckpt.tensors[name].1, v, "{name} round trip");
    }
}

#[test]
fn sample_draws_a_grid_from_a_checkpoint() {
    let r = short_run();
    let out = tempfile::tempdir().unwrap();
    let grid = out.path().join("grid.png");
    // 10 images in a 4-column grid.
    run::sample(
        &r.dir.path().join("checkpoint.safetensors"),
        10,
        3,
        None,
        &[],
        &grid,
        &AdapterChoice::default(),
    )
    .unwrap();
    assert_eq!(
        png_size(&grid),
        (4 * (28 * 4 + 2) + 2, 3 * (28 * 4 + 2) + 2)
    );
    // Past one pass of 256: drawn in two passes, an 18-column grid at 1×.
    run::sample(
        &r.dir.path().join("checkpoint.safetensors"),
        300,
        3,
        None,
        &[],
        &grid,
        &AdapterChoice::default(),
    )
    .unwrap();
    assert_eq!(png_size(&grid), (18 * 30 + 2, 17 * 30 + 2));
}

#[test]
fn new_run_into_a_run_directory_is_refused_and_loses_nothing() {
    let r = short_run();
    let dir = r.dir.path();
    let before = std::fs::read(dir.join("checkpoint.safetensors")).unwrap();
    let err = run::train(run_opts(r.cfg.clone(), dir, None), &AtomicBool::new(false))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("already holds a training run") && err.contains("--resume"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(dir.join("checkpoint.safetensors")).unwrap(),
        before
    );
}

fn final_tensors(
    cfg: &TrainConfig,
    out: &Path,
    resume: Option<PathBuf>,
    stop: bool,
) -> (Outcome, BTreeMap<String, Vec<f32>>) {
    let (outcome, t) =
        run::train(run_opts(cfg.clone(), out, resume), &AtomicBool::new(stop)).unwrap();
    (outcome, tensor_map(&t))
}

/// Two epochs straight, twice (determinism); one epoch then a resumed
/// second; and a run stopped by Ctrl-C after its first step then resumed:
/// all bit-identical.
#[test]
fn resume_and_determinism_are_bit_exact() {
    let base = tempfile::tempdir().unwrap();
    let cfg = config(16, Optimizer::rmsprop(1e-3), 64, 2);
    let (_, straight) = final_tensors(&cfg, &base.path().join("a"), None, false);
    let (_, again) = final_tensors(&cfg, &base.path().join("b"), None, false);
    assert!(straight == again, "two runs with the same seed differ");

    let one = TrainConfig {
        epochs: 1,
        ..cfg.clone()
    };
    final_tensors(&one, &base.path().join("c"), None, false);
    let (_, resumed) = final_tensors(
        &cfg,
        &base.path().join("c"),
        Some(base.path().join("c/checkpoint.safetensors")),
        false,
    );
    assert!(
        straight == resumed,
        "1 epoch + resume + 1 epoch differs from 2 epochs"
    );

    let (outcome, _) = final_tensors(&cfg, &base.path().join("d"), None, true);
    assert_eq!(outcome, Outcome::Interrupted);
    let ckpt = checkpoint::load(&base.path().join("d/checkpoint.safetensors")).unwrap();
    assert_eq!(
        (ckpt.pos.epoch, ckpt.pos.step_in_epoch, ckpt.pos.global_step),
        (0, 1, 1)
    );
    let (outcome, resumed) = final_tensors(
        &cfg,
        &base.path().join("d"),
        Some(base.path().join("d/checkpoint.safetensors")),
        false,
    );
    assert_eq!(outcome, Outcome::Finished);
    assert!(
        straight == resumed,
        "interrupted mid-epoch and resumed differs from 2 epochs"
    );
}
