//! Nothing is lost: a run killed with SIGKILL at seeded moments always
//! leaves a checkpoint that loads and resumes, and ends bit-identical to an
//! uninterrupted run; a full disk fails with a clear error and keeps the
//! last checkpoint.

use crate::common::*;
use gan_gpu::train::checkpoint;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const EXE: &str = env!("CARGO_BIN_EXE_gan-gpu");

fn train(args: &[&str], out: &Path, resume: bool) -> Command {
    let mut c = Command::new(EXE);
    c.arg("train");
    if resume {
        c.arg("--resume").arg(out.join("checkpoint.safetensors"));
    } else {
        c.args(args).arg("--out").arg(out);
    }
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    c
}

fn tensors_of(path: &Path) -> std::collections::BTreeMap<String, Vec<u32>> {
    let c = checkpoint::load(path).unwrap_or_else(|e| panic!("{e}"));
    c.tensors
        .into_iter()
        .map(|(n, (_, v))| (n, v.iter().map(|x| x.to_bits()).collect()))
        .collect()
}

#[test]
fn kill_9_at_seeded_moments_loses_nothing() {
    let data = raw_data_dir(32);
    let data_arg = data.path().to_str().unwrap().to_string();
    let args = [
        "--data",
        &data_arg,
        "--batch-size",
        "8",
        "--epochs",
        "6",
        "--seed",
        "3",
        "--log-every",
        "1",
    ];
    let base = tempfile::tempdir().unwrap();
    let straight = base.path().join("straight");
    let started = std::time::Instant::now();
    let status = train(&args, &straight, false).status().unwrap();
    let straight_time = started.elapsed();
    assert!(status.success());

    let killed = base.path().join("killed");
    let ckpt = killed.join("checkpoint.safetensors");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    // Kill delays span half the uninterrupted run's length, so the kills land
    // at every stage on a slow adapter and a fast one alike; a run that
    // finishes before its kill starts over in a fresh directory.
    let straight_ms = straight_time.as_millis().max(400) as u64;
    let wanted = 12;
    let mut kills = 0;
    let mut trial = 0;
    while kills < wanted {
        trial += 1;
        assert!(trial <= 4 * wanted, "only {kills} of {trial} kills landed");
        let mut child = train(&args, &killed, ckpt.exists()).spawn().unwrap();
        let delay = rng.random_range(straight_ms / 20..straight_ms / 2);
        std::thread::sleep(Duration::from_millis(delay));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "trial {trial}: {stderr}");
        if finished {
            std::fs::remove_dir_all(&killed).unwrap();
            continue;
        }
        kills += 1;
        if ckpt.exists() {
            // Whatever moment the kill hit, the checkpoint is whole.
            checkpoint::load(&ckpt).unwrap_or_else(|e| panic!("trial {trial} ({delay} ms): {e}"));
        }
    }
    println!("kill -9: {kills} kills at seeded moments in {trial} trials, the checkpoint loaded after each");
    let status = train(&args, &killed, ckpt.exists()).status().unwrap();
    assert!(status.success());
    assert!(
        tensors_of(&ckpt) == tensors_of(&straight.join("checkpoint.safetensors")),
        "killed and resumed {kills} times, the run ends with other weights than an uninterrupted one"
    );
    // No temporary file of a killed write is left once a run has started again.
    let temps: Vec<_> = std::fs::read_dir(&killed)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
    // Resumes dropped the rows logged after each checkpoint: every step once.
    let csv = std::fs::read_to_string(killed.join("metrics.csv")).unwrap();
    let steps: Vec<u64> = csv
        .lines()
        .filter(|l| l.starts_with("step,"))
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
    assert_eq!(steps.len(), 24);
}

/// A small tmpfs, mounted for the test and unmounted however it ends.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().unwrap().keep();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn full_disk_keeps_the_last_checkpoint() {
    // A checkpoint of the seed's model with Adam's two moments is ~12.6
    // MB: 20 MB holds the first one but not a second beside it. (With the
    // default RMSprop's one moment, two fit.)
    let disk = match Tmpfs::mount("20m") {
        Ok(d) => d,
        Err(why) => {
            println!("SKIPPED full_disk_keeps_the_last_checkpoint: cannot mount a tmpfs ({why}); run the tests as root to include it");
            return;
        }
    };
    let data = raw_data_dir(32);
    let out = disk.0.join("run");
    let result = Command::new(EXE)
        .args(["train", "--optimizer", "adam", "--batch-size", "8"])
        .args(["--epochs", "2", "--data"])
        .arg(data.path())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    let error = stderr.lines().find(|l| l.starts_with("error")).unwrap();
    assert!(
        error.contains(".checkpoint.safetensors.tmp") && error.contains("No space left"),
        "{error}"
    );
    let kept = checkpoint::load(&out.join("checkpoint.safetensors")).unwrap();
    assert_eq!(kept.pos.global_step, 0);
    let temps: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}
