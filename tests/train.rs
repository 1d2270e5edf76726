//! The training job end to end on the GPU: one step against the CPU
//! reference, outputs of a short run, checkpoints, exact resume,
//! determinism, Ctrl-C, sampling, and bad data files.

use gan_gpu::cpu::model::CpuGan;
use gan_gpu::data::{read_images, Images};
use gan_gpu::gpu::{AdapterChoice, Gpu};
use gan_gpu::ops::optim::Optimizer;
use gan_gpu::train::checkpoint::{self, trainer_tensors};
use gan_gpu::train::run::{self, Outcome, RunOptions};
use gan_gpu::train::{epoch_order, TrainConfig, Trainer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fashion-mnist")
}

fn images(n: usize) -> Images {
    static ALL: OnceLock<Images> = OnceLock::new();
    let mut im = ALL
        .get_or_init(|| read_images(&data_dir().join("train-images-idx3-ubyte.gz")).unwrap())
        .clone();
    im.truncate(n);
    im
}

fn config(batch: usize, optimizer: Optimizer, limit: usize, epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: batch,
        latent_dim: 100,
        optimizer,
        seed: 7,
        data: data_dir(),
        limit: Some(limit),
        log_every: 3,
    }
}

fn gpu() -> Gpu {
    Gpu::new(&AdapterChoice::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn tensor_map(t: &Trainer) -> BTreeMap<String, Vec<f32>> {
    trainer_tensors(t)
        .unwrap()
        .into_iter()
        .map(|(n, _, v)| (n, v))
        .collect()
}

fn rms(v: &[f64]) -> f64 {
    (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64)
        .sqrt()
        .max(1e-30)
}

/// "generator/dense.kernel" → "optimizer/generator/{k}/dense.kernel".
fn state_key(name: &str, k: usize) -> String {
    let (net, param) = name.split_once('/').unwrap();
    format!("optimizer/{net}/{k}/{param}")
}

/// One full step (noise, G, D on fake + real, D update, G through D, G
/// update) on the GPU against `cpu::model` in f64, from the same weights.
fn one_step_matches_reference(optimizer: Optimizer) {
    let (batch, count) = (4, 16);
    let cfg = config(batch, optimizer, count, 1);
    let im = images(count);
    let mut t = Trainer::new(gpu(), cfg.clone(), im.clone()).unwrap();
    let before = tensor_map(&t);
    let as64 = |m: &BTreeMap<String, Vec<f32>>| {
        m.iter()
            .map(|(k, v)| (k.clone(), v.iter().map(|&x| x as f64).collect()))
            .collect()
    };
    let mut reference = CpuGan::new(t.shape, optimizer, cfg.seed, batch, as64(&before));
    let order = epoch_order(cfg.seed, 0, count);
    let real = gan_gpu::cpu::data::gather_images(&im.pixels, &order, 0, batch, 28 * 28);
    t.step().unwrap();
    let m = t.read_metrics().unwrap();
    let after = tensor_map(&t);
    let (d_loss, g_loss) = reference.train_step(&real, 0);
    // Losses: f32 forward passes through ~1600-term sums.
    assert!(
        (m.d_loss - d_loss).abs() < 1e-4 && (m.g_loss - g_loss).abs() < 1e-4,
        "losses GPU {m:?} vs CPU D {d_loss} G {g_loss}"
    );

    let lr = match optimizer {
        Optimizer::Adam { lr, .. } | Optimizer::Rmsprop { lr, .. } => lr as f64,
    };
    let mut checked = 0;
    for (name, got) in &after {
        let want = &reference.tensors[name];
        let got64: Vec<f64> = got.iter().map(|&x| x as f64).collect();
        if name.starts_with("optimizer/") || name.ends_with(".running") {
            // Moments are (scaled) gradients and their squares, after a
            // forward and backward pass through the whole GAN in f32:
            // 2e-3 of the tensor's RMS.
            let floor = rms(want);
            let worst = got64
                .iter()
                .zip(want)
                .map(|(g, w)| (g - w).abs() / (w.abs() + floor))
                .fold(0.0, f64::max);
            assert!(worst < 2e-3, "{name}: relative error {worst:.2e}");
        } else {
            // A parameter moves by about ±lr in one step (Adam and RMSprop
            // both normalise by the gradient's size), so compare the update
            // to within 1% of lr. Where the gradient is at rounding-noise
            // level (below 1e-4 of its tensor's RMS) its sign is noise too;
            // such elements may differ, and must be rare.
            let start = &before[name];
            let first_state = &reference.tensors[&state_key(name, 0)];
            let grad_mag: Vec<f64> = match optimizer {
                Optimizer::Adam { beta1, .. } => first_state
                    .iter()
                    .map(|m| (m / (1.0 - beta1 as f64)).abs())
                    .collect(),
                Optimizer::Rmsprop { rho, .. } => first_state
                    .iter()
                    .map(|v| (v / (1.0 - rho as f64)).sqrt())
                    .collect(),
            };
            let g_rms = rms(&grad_mag);
            let mut noisy = 0;
            for i in 0..got.len() {
                let (d_gpu, d_cpu) = (got64[i] - start[i] as f64, want[i] - start[i] as f64);
                if (d_gpu - d_cpu).abs() > 0.01 * lr {
                    assert!(grad_mag[i] < 1e-4 * g_rms, "{name}[{i}]: GPU update {d_gpu:e}, CPU update {d_cpu:e}, gradient {:e} (rms {g_rms:e})", grad_mag[i]);
                    noisy += 1;
                }
            }
            assert!(
                noisy * 1000 <= got.len().max(1000),
                "{name}: {noisy} of {} updates differ",
                got.len()
            );
        }
        checked += 1;
    }
    assert_eq!(checked, reference.tensors.len());
}

#[test]
fn one_step_matches_cpu_reference_adam() {
    one_step_matches_reference(Optimizer::adam(2e-4));
}

#[test]
fn one_step_matches_cpu_reference_rmsprop() {
    one_step_matches_reference(Optimizer::rmsprop(1e-3));
}

fn run_opts(cfg: TrainConfig, out: &Path, resume: Option<PathBuf>) -> RunOptions {
    let resume = resume.map(|p| {
        let c = checkpoint::load(&p).unwrap();
        (p, c)
    });
    RunOptions {
        cfg,
        out: out.to_path_buf(),
        resume,
        adapter: AdapterChoice::default(),
        show_progress: false,
    }
}

fn png_size(path: &Path) -> (u32, u32) {
    image::image_dimensions(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn short_run_writes_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(16, Optimizer::adam(2e-4), 160, 2);
    let (outcome, t) = run::train(
        run_opts(cfg.clone(), dir.path(), None),
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(outcome, Outcome::Finished);
    assert_eq!((t.pos.epoch, t.pos.global_step), (2, 20));
    // 8 tiles of 28·4 pixels plus 2-pixel gaps.
    let side = 8 * (28 * 4 + 2) + 2;
    assert_eq!(png_size(&dir.path().join("real.png")), (side, side));
    for e in 1..=2 {
        assert_eq!(
            png_size(&dir.path().join(format!("samples/epoch_{e:03}.png"))),
            (side, side)
        );
    }
    assert_eq!(png_size(&dir.path().join("loss.png")), (960, 540));
    let saved: TrainConfig =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("config.json")).unwrap())
            .unwrap();
    assert_eq!(saved, cfg);
    let csv = std::fs::read_to_string(dir.path().join("metrics.csv")).unwrap();
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
    // The checkpoint holds everything and loads back.
    let ckpt = checkpoint::load(&dir.path().join("checkpoint.safetensors")).unwrap();
    assert_eq!(ckpt.pos, t.pos);
    assert_eq!(ckpt.config, cfg);
    let live = tensor_map(&t);
    assert_eq!(ckpt.tensors.len(), live.len());
    for (name, v) in &live {
        assert_eq!(&ckpt.tensors[name].1, v, "{name} round trip");
    }
    // `gan-gpu sample` from it: 10 images in a 4-column grid.
    let grid = dir.path().join("grid.png");
    run::sample(
        &dir.path().join("checkpoint.safetensors"),
        10,
        3,
        &grid,
        &AdapterChoice::default(),
    )
    .unwrap();
    assert_eq!(
        png_size(&grid),
        (4 * (28 * 4 + 2) + 2, 3 * (28 * 4 + 2) + 2)
    );
    // A new run into the same directory is refused and loses nothing.
    let before = std::fs::read(dir.path().join("checkpoint.safetensors")).unwrap();
    let err = run::train(
        run_opts(cfg.clone(), dir.path(), None),
        &AtomicBool::new(false),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("already holds a training run") && err.contains("--resume"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("checkpoint.safetensors")).unwrap(),
        before
    );
    // No temporary file is left behind by the atomic writes.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
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

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn idx_header(kind: u8, dims: &[u32]) -> Vec<u8> {
    let mut h = vec![0, 0, kind, dims.len() as u8];
    for d in dims {
        h.extend_from_slice(&d.to_be_bytes());
    }
    h
}

fn read_err(path: &Path) -> String {
    match read_images(path) {
        Ok(_) => panic!("{} was accepted", path.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_data_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut good = idx_header(8, &[2, 4, 4]);
    good.extend(vec![7u8; 32]);
    let ok = read_images(&write(d, "ok", &good)).unwrap();
    assert_eq!((ok.count, ok.height, ok.width), (2, 4, 4));

    let e = read_err(&write(d, "magic", &[1, 2, 8, 3, 0, 0, 0, 1]));
    assert!(e.contains("magic") && e.contains("magic"), "{e}");
    let e = read_err(&write(d, "truncated", &good[..good.len() - 5]));
    assert!(
        e.contains("truncated") && e.contains("32 bytes") && e.contains("27"),
        "{e}"
    );
    let mut long = good.clone();
    long.push(0);
    assert!(read_err(&write(d, "long", &long)).contains("trailing"));
    let e = read_err(&write(d, "labels", &{
        let mut v = idx_header(8, &[3]);
        v.extend([1, 2, 3]);
        v
    }));
    assert!(
        e.contains("1 dimensions") && e.contains("3 (count, rows, columns)"),
        "{e}"
    );
    assert!(read_err(&write(d, "floats", &idx_header(0x0d, &[1, 1, 1]))).contains("0x0d"));
    assert!(read_err(&write(d, "empty", &idx_header(8, &[0, 28, 28]))).contains("no image"));
    assert!(read_err(&write(d, "tiny", &[0, 0])).contains("too short"));
    let e = read_err(&write(d, "header", &[0, 0, 8, 3, 0, 0]));
    assert!(e.contains("3 dimensions"), "{e}");
    let e = read_err(&write(d, "broken.gz", &[0x1f, 0x8b, 8, 0, 1, 2, 3]));
    assert!(e.contains("gzip"), "{e}");
    let e = read_err(&d.join("missing"));
    assert!(e.contains("missing") && e.contains("No such file"), "{e}");
    let e = gan_gpu::data::find_training_images(d)
        .unwrap_err()
        .to_string();
    assert!(e.contains("train-images-idx3-ubyte"), "{e}");
    let e = gan_gpu::data::find_training_images(&d.join("nope"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no such data directory"), "{e}");
    // Every message names the file.
    assert!(read_err(&d.join("magic")).contains(&d.join("magic").display().to_string()));
}

#[test]
fn images_that_do_not_fit_the_generator_are_rejected() {
    let im = Images {
        count: 4,
        height: 30,
        width: 30,
        pixels: vec![0; 4 * 900],
    };
    let err = Trainer::new(gpu(), config(2, Optimizer::adam(2e-4), 4, 1), im)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("30x30") && err.contains("multiples of 4"),
        "{err}"
    );
    let err = Trainer::new(gpu(), config(8, Optimizer::adam(2e-4), 4, 1), images(4))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("fewer than one batch"), "{err}");
}

#[test]
fn cli_reports_bad_input_without_panicking() {
    let exe = env!("CARGO_BIN_EXE_gan-gpu");
    let out = std::process::Command::new(exe)
        .args(["train", "--data", "/definitely/not/here", "--epochs", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/definitely/not/here") && stderr.contains("no such data directory"),
        "{stderr}"
    );
    let out = std::process::Command::new(exe)
        .args(["sample", "--checkpoint", "/no/such.safetensors"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such.safetensors"));
}

/// Our tensors map onto the seed's Keras model one to one, in Keras'
/// layer order and shapes (`model::keras`).
#[test]
fn weights_export_in_keras_layout() {
    let t = Trainer::new(gpu(), config(2, Optimizer::adam(2e-4), 4, 1), images(4)).unwrap();
    let tensors = trainer_tensors(&t).unwrap();
    let keras = gan_gpu::model::keras::to_keras(&tensors);
    let got: Vec<(&str, &str, Vec<usize>)> = keras
        .iter()
        .map(|w| (w.layer, w.weight, w.shape.clone()))
        .collect();
    let want: Vec<(&str, &str, Vec<usize>)> = vec![
        ("generator.dense", "kernel", vec![100, 6272]),
        ("generator.dense", "bias", vec![6272]),
        ("generator.batch_normalization_1", "gamma", vec![128]),
        ("generator.batch_normalization_1", "beta", vec![128]),
        ("generator.batch_normalization_1", "moving_mean", vec![128]),
        (
            "generator.batch_normalization_1",
            "moving_variance",
            vec![128],
        ),
        (
            "generator.conv2d_transpose_1",
            "kernel",
            vec![5, 5, 64, 128],
        ),
        ("generator.conv2d_transpose_1", "bias", vec![64]),
        ("generator.batch_normalization_2", "gamma", vec![64]),
        ("generator.batch_normalization_2", "beta", vec![64]),
        ("generator.batch_normalization_2", "moving_mean", vec![64]),
        (
            "generator.batch_normalization_2",
            "moving_variance",
            vec![64],
        ),
        ("generator.conv2d_transpose_2", "kernel", vec![5, 5, 1, 64]),
        ("generator.conv2d_transpose_2", "bias", vec![1]),
        ("discriminator.conv2d_1", "kernel", vec![5, 5, 1, 64]),
        ("discriminator.conv2d_1", "bias", vec![64]),
        ("discriminator.conv2d_2", "kernel", vec![5, 5, 64, 128]),
        ("discriminator.conv2d_2", "bias", vec![128]),
        ("discriminator.dense", "kernel", vec![6272, 1]),
        ("discriminator.dense", "bias", vec![1]),
    ];
    assert_eq!(got, want);
    // Fresh weights: γ = 1, β = 0, moving mean 0 and variance 1 (Keras'
    // initial values); values are copied, not reordered.
    let find = |l: &str, w: &str| {
        &keras
            .iter()
            .find(|k| k.layer == l && k.weight == w)
            .unwrap()
            .values
    };
    assert!(find("generator.batch_normalization_1", "gamma")
        .iter()
        .all(|&v| v == 1.0));
    assert!(find("generator.batch_normalization_1", "moving_variance")
        .iter()
        .all(|&v| v == 1.0));
    let ours = &tensors
        .iter()
        .find(|(n, _, _)| n == "generator/deconv1.kernel")
        .unwrap()
        .2;
    assert_eq!(find("generator.conv2d_transpose_1", "kernel"), ours);
    // Glorot-uniform bounds: √(6 / (fan_in + fan_out)) with Keras' fans.
    let limit = (6.0f32 / (25.0 * 64.0 + 25.0 * 128.0)).sqrt();
    assert!(ours.iter().all(|v| v.abs() <= limit) && ours.iter().any(|v| v.abs() > 0.9 * limit));
}

/// `--resume` continues with the checkpoint's settings; a flag that
/// contradicts them is refused (the run could not continue exactly), and
/// `info` lists the adapter.
#[test]
fn cli_resume_refuses_contradicting_flags() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(8, Optimizer::adam(2e-4), 16, 1);
    run::train(run_opts(cfg, dir.path(), None), &AtomicBool::new(false)).unwrap();
    let ckpt = dir.path().join("checkpoint.safetensors");
    let exe = env!("CARGO_BIN_EXE_gan-gpu");
    let ckpt_arg = ckpt.to_str().unwrap();
    for (flag, value) in [
        ("--batch-size", "16"),
        ("--seed", "8"),
        ("--latent-dim", "64"),
        ("--optimizer", "rmsprop"),
    ] {
        let out = std::process::Command::new(exe)
            .args(["train", "--resume", ckpt_arg, flag, value])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{flag}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(flag) && stderr.contains("contradicts the checkpoint"),
            "{flag}: {stderr}"
        );
    }
    // Already at its 1 epoch: resuming with the same settings has nothing left to do.
    let out = std::process::Command::new(exe)
        .args(["train", "--resume", ckpt_arg, "--epochs", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = std::process::Command::new(exe)
        .arg("info")
        .output()
        .unwrap();
    assert!(info.status.success());
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        text.contains("adapters:")
            && text.contains("chosen:")
            && text.contains("max_storage_buffer_binding_size"),
        "{text}"
    );
}
