//! The command line: bad input without panics, resume flags, `info`.

use crate::common::*;
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::run::{self};
use std::sync::atomic::AtomicBool;

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
