//! The command line: resume flags and `info` (bad input: `robustness.rs`).

use crate::common::*;
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::run::{self};
use std::sync::atomic::AtomicBool;

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
        ("--fake-batch-norm", "running"),
        ("--label-smoothing", "0.1"),
        ("--lr-d", "4e-4"),
        ("--recipe", "seed"),
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

/// `train --help` states every default, and states the values the code
/// uses (`train::defaults`), so the text cannot drift from them.
#[test]
fn help_states_the_defaults_the_code_uses() {
    use gan_gpu::train::defaults;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gan-gpu"))
        .args(["train", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for want in [
        format!("[default: {}", defaults::EPOCHS),
        format!("[default: {}]", defaults::BATCH_SIZE),
        format!("[default: {}]", defaults::LATENT_DIM),
        format!("[default: {}]", defaults::SEED),
        format!("[default: {}", defaults::LOG_EVERY),
        format!("{:e} for Adam", defaults::ADAM_LR),
        format!("{:e} for RMSprop", defaults::RMSPROP_LR),
    ] {
        assert!(help.contains(&want), "--help lacks '{want}':\n{help}");
    }
}

/// `--recipe seed` is the course project's recipe, recorded in the run's
/// config; it takes no flag it sets itself, and its checkpoint resumes with
/// it.
#[test]
fn seed_recipe_is_the_seed_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_gan-gpu");
    let out = std::process::Command::new(exe)
        .args(["train", "--recipe", "seed", "--optimizer", "adam"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "clap refuses the mix");
    for (flag, value, says) in [
        ("--label-smoothing", "1", "must be in [0, 1)"),
        ("--lr-d=-1", "", "--lr-d: learning rate -1"),
    ] {
        let out = std::process::Command::new(exe)
            .args(["train", flag])
            .args((!value.is_empty()).then_some(value))
            .arg("--out")
            .arg(dir.path().join("refused"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code() == Some(1) && stderr.contains(says),
            "{flag}: {stderr}"
        );
    }
    let run = dir.path().join("run");
    let train = |extra: &[&str]| {
        std::process::Command::new(exe)
            .args(["train", "--limit", "32", "--epochs", "1"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = train(&["--recipe", "seed", "--out", run.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cfg: gan_gpu::train::TrainConfig =
        serde_json::from_slice(&std::fs::read(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(cfg.optimizer, Optimizer::rmsprop(1e-3));
    assert_eq!((cfg.batch_size, cfg.latent_dim), (32, 100));
    assert_eq!(cfg.fake_batch_norm, gan_gpu::train::FakeBatchNorm::Running);
    let ckpt = run.join("checkpoint.safetensors");
    let out = std::process::Command::new(exe)
        .args([
            "train",
            "--recipe",
            "seed",
            "--epochs",
            "1",
            "--resume",
            ckpt.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
