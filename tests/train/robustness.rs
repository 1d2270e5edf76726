//! Bad input through the command line, as a careless user would give it:
//! every case exits non-zero with one `error:` line that names the file,
//! flag or value, prints no panic, ends within a time limit, and leaves
//! every file the user had unchanged. Then the signals and pipes a
//! command-line tool must survive.

use crate::common::*;
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::checkpoint;
use gan_gpu::train::run;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const EXE: &str = env!("CARGO_BIN_EXE_gan-gpu");
/// Far above what any case needs on lavapipe; a case past it hangs.
const TIMEOUT: Duration = Duration::from_secs(240);

/// Runs the binary with a time limit; a case that outlives it is killed
/// and fails as a hang.
fn run_with_timeout(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(EXE)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > TIMEOUT {
            child.kill().unwrap();
            panic!("gan-gpu {args:?} hung for {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// A run of 64 images at batch 4 stopped after its first step, as Ctrl-C
/// leaves one: (its directory, its checkpoint).
fn stopped_run() -> &'static (tempfile::TempDir, PathBuf) {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(4, Optimizer::adam(2e-4), 64, 2);
        run::train(run_opts(cfg, dir.path(), None), &AtomicBool::new(true)).unwrap();
        let ckpt = dir.path().join("checkpoint.safetensors");
        (dir, ckpt)
    })
}

/// A copy of the stopped run's checkpoint with its tensors (and, with
/// `config`, its config) rewritten by `edit`, checksums made to match, so
/// only the edited fault remains.
fn edited_checkpoint(
    dir: &Path,
    edit: impl Fn(&str, &mut Vec<f32>),
    config: Option<&str>,
) -> PathBuf {
    let bytes = std::fs::read(&stopped_run().1).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta = meta.metadata().clone().unwrap();
    let mut data: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    let mut crcs = BTreeMap::new();
    for name in st.names() {
        let view = st.tensor(name).unwrap();
        let mut values: Vec<f32> = bytemuck::cast_slice(view.data()).to_vec();
        edit(name, &mut values);
        let raw: Vec<u8> = bytemuck::cast_slice(&values).to_vec();
        crcs.insert(name.to_string(), crc32fast::hash(&raw));
        data.push((name.to_string(), view.shape().to_vec(), raw));
    }
    meta.insert("crc32".into(), serde_json::to_string(&crcs).unwrap());
    if let Some(c) = config {
        meta.insert("config".into(), c.to_string());
    }
    let views: Vec<(String, safetensors::tensor::TensorView)> = data
        .iter()
        .map(|(n, s, b)| {
            let v = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b);
            (n.clone(), v.unwrap())
        })
        .collect();
    let out = dir.join("edited.safetensors");
    std::fs::write(&out, safetensors::serialize(views, Some(meta)).unwrap()).unwrap();
    out
}

struct Case {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, &'static str)>,
    /// Every one of these must appear in the error line.
    expect: Vec<&'static str>,
}

fn case(name: &'static str, args: &[&str], expect: &[&'static str]) -> Case {
    Case {
        name,
        args: args.iter().map(|a| a.to_string()).collect(),
        env: Vec::new(),
        expect: expect.to_vec(),
    }
}

#[test]
fn bad_input_matrix() {
    let user = tempfile::tempdir().unwrap();
    let u = user.path();
    let (run_dir, ckpt) = stopped_run();
    let ckpt = ckpt.to_str().unwrap().to_string();
    let tiny = raw_data_dir(4);
    let small = raw_data_dir(64);
    let p = |path: &Path| path.to_str().unwrap().to_string();

    // A directory holding the user's own files, and one holding another run.
    let theirs = u.join("theirs");
    std::fs::create_dir_all(&theirs).unwrap();
    std::fs::write(theirs.join("config.json"), "{\"mine\": true}").unwrap();
    std::fs::write(theirs.join("real.png"), "not ours").unwrap();
    let other_run = u.join("other-run");
    std::fs::create_dir_all(&other_run).unwrap();
    std::fs::write(other_run.join("metrics.csv"), "kind,epoch\n").unwrap();
    std::fs::write(other_run.join("checkpoint.safetensors"), "theirs").unwrap();

    // Checkpoints with one fault each.
    let damaged = u.join("damaged.safetensors");
    let mut bytes = std::fs::read(&ckpt).unwrap();
    let at = bytes.len() - 1000;
    bytes[at] ^= 0x40;
    std::fs::write(&damaged, bytes.clone()).unwrap();
    let truncated = u.join("truncated.safetensors");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let nan_dir = u.join("nan");
    std::fs::create_dir_all(&nan_dir).unwrap();
    let nan = edited_checkpoint(
        &nan_dir,
        |n, v| {
            if n == "generator/deconv2.kernel" {
                v[3] = f32::NAN;
            }
        },
        None,
    );
    let bad_cfg_dir = u.join("bad-config");
    std::fs::create_dir_all(&bad_cfg_dir).unwrap();
    let cfg_text = {
        let b = std::fs::read(&ckpt).unwrap();
        let (_, meta) = safetensors::SafeTensors::read_metadata(&b).unwrap();
        meta.metadata().as_ref().unwrap()["config"].replace("0.0002", "-1.0")
    };
    let bad_cfg = edited_checkpoint(&bad_cfg_dir, |_, _| {}, Some(&cfg_text));

    // A gzip bomb: one 28x28 image promised, 200 MB of zeros behind it.
    let bomb_dir = u.join("bomb");
    std::fs::create_dir_all(&bomb_dir).unwrap();
    {
        use std::io::Write;
        let f = std::fs::File::create(bomb_dir.join("train-images-idx3-ubyte.gz")).unwrap();
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        gz.write_all(&[0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28])
            .unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..200 {
            gz.write_all(&zeros).unwrap();
        }
        gz.finish().unwrap();
    }

    let out_b = p(&u.join("fresh-out"));
    let tiny_s = p(tiny.path());
    let small_s = p(small.path());
    let theirs_s = p(&theirs);
    let other_s = p(&other_run);
    let bomb_s = p(&bomb_dir);
    let nan_s = p(&nan);
    let damaged_s = p(&damaged);
    let truncated_s = p(&truncated);
    let bad_cfg_s = p(&bad_cfg);
    let grid = p(&u.join("grid.png"));
    let train = |extra: &[&str]| {
        let mut a = vec!["train", "--epochs", "1", "--batch-size", "4"];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<String>>()
    };
    let mut cases = vec![
        case(
            "resume onto fewer images than the checkpoint's epoch",
            &["train", "--resume", &ckpt, "--data", &tiny_s],
            &["steps per epoch", "stopped at step 1"],
        ),
        case(
            "nan learning rate",
            &["train", "--lr", "nan"],
            &["learning rate NaN"],
        ),
        case(
            "zero learning rate",
            &["train", "--lr", "0"],
            &["learning rate 0"],
        ),
        case(
            "negative learning rate",
            &["train", "--lr=-1"],
            &["learning rate -1"],
        ),
        case(
            "infinite learning rate",
            &["train", "--lr", "inf"],
            &["learning rate inf"],
        ),
        case(
            "zero batch",
            &["train", "--batch-size", "0"],
            &["--batch-size"],
        ),
        case(
            "zero log interval",
            &["train", "--log-every", "0"],
            &["--log-every"],
        ),
        case(
            "damaged checkpoint",
            &["sample", "--checkpoint", &damaged_s, "--out", &grid],
            &["damaged.safetensors", "is damaged"],
        ),
        case(
            "truncated checkpoint",
            &["sample", "--checkpoint", &truncated_s, "--out", &grid],
            &["truncated.safetensors", "not a safetensors file"],
        ),
        case(
            "checkpoint with a NaN weight",
            &["sample", "--checkpoint", &nan_s, "--out", &grid],
            &["generator/deconv2.kernel", "non-finite"],
        ),
        case(
            "checkpoint with a bad config value",
            &["train", "--resume", &bad_cfg_s],
            &["bad config", "learning rate -1"],
        ),
        case(
            "resume into another run's directory",
            &["train", "--resume", &ckpt, "--out", &other_s],
            &["other-run", "holds another run"],
        ),
        case(
            "gzip bomb",
            &["train", "--data", &bomb_s],
            &["trailing bytes"],
        ),
        case(
            "zero samples",
            &["sample", "--checkpoint", &ckpt, "--n", "0"],
            &["--n"],
        ),
        case(
            "zero batch in bench",
            &["bench", "--batch-sizes", "0"],
            &["--batch-sizes", "0"],
        ),
        case(
            "missing data directory",
            &["train", "--data", "/definitely/not/here"],
            &["/definitely/not/here", "no such data directory"],
        ),
        case(
            "missing checkpoint",
            &["sample", "--checkpoint", "/no/such.safetensors"],
            &["/no/such.safetensors"],
        ),
    ];
    cases.push(Case {
        name: "new run over the user's config.json and real.png",
        args: train(&["--data", &small_s, "--out", &theirs_s]),
        env: Vec::new(),
        expect: vec!["theirs", "config.json", "overwrite"],
    });
    cases.push(Case {
        name: "a backend this machine lacks",
        args: vec!["info".into()],
        env: vec![("WGPU_BACKEND", "dx12")],
        expect: vec!["no GPU adapter", "WGPU_BACKEND=dx12"],
    });
    cases.push(Case {
        name: "learning rate that diverges",
        args: train(&[
            "--data",
            &small_s,
            "--lr",
            "1e9",
            "--log-every",
            "1",
            "--out",
            &out_b,
        ]),
        env: Vec::new(),
        expect: vec!["loss is", "at step", "diverged", "checkpoint"],
    });

    let before = snapshot(u);
    let run_before = snapshot(run_dir.path());
    for c in &cases {
        let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        let out = run_with_timeout(&args, &c.env);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{}: exited 0\n{stderr}", c.name);
        assert!(
            !stderr.contains("panicked"),
            "{}: panicked\n{stderr}",
            c.name
        );
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
        assert_eq!(errors.len(), 1, "{}: want one error line\n{stderr}", c.name);
        for e in &c.expect {
            assert!(
                errors[0].contains(e),
                "{}: no '{e}' in: {}",
                c.name,
                errors[0]
            );
        }
    }
    // Nothing the user had changed; the diverged run kept its first
    // (finite) checkpoint.
    let mut after = snapshot(u);
    let fresh = u.join("fresh-out");
    after.retain(|p, _| !p.starts_with(&fresh));
    assert!(before == after, "a bad-input case changed the user's files");
    assert!(
        run_before == snapshot(run_dir.path()),
        "a case changed the run"
    );
    let kept = checkpoint::load(&fresh.join("checkpoint.safetensors")).unwrap();
    assert_eq!(kept.pos.global_step, 0);
    println!("bad-input matrix: {} cases", cases.len());
}

/// `gan-gpu info | head -1`: the closed pipe ends the process quietly.
#[test]
fn closed_stdout_exits_quietly() {
    let mut child = Command::new(EXE)
        .arg("info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

/// `--resume` without `--epochs` trains toward the checkpoint's epochs
/// (here 2), not the default 50, and drops nothing it should keep.
#[test]
fn resume_defaults_to_the_checkpoint_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(16, Optimizer::adam(2e-4), 32, 2);
    run::train(run_opts(cfg, dir.path(), None), &AtomicBool::new(true)).unwrap();
    let ckpt = dir.path().join("checkpoint.safetensors");
    let out = run_with_timeout(&["train", "--resume", ckpt.to_str().unwrap()], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done = checkpoint::load(&ckpt).unwrap();
    assert_eq!((done.pos.epoch, done.pos.global_step), (2, 4));
}

/// SIGTERM, like Ctrl-C, finishes the step, writes a checkpoint and exits
/// 143; the run then resumes.
#[cfg(unix)]
#[test]
fn sigterm_checkpoints_and_exits_143() {
    let data = raw_data_dir(64);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut child = Command::new(EXE)
        .args(["train", "--batch-size", "4", "--epochs", "3", "--data"])
        .arg(data.path())
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first checkpoint (written before the first step).
    let ckpt = out.join("checkpoint.safetensors");
    let start = Instant::now();
    while !ckpt.exists() && start.elapsed() < TIMEOUT {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    let c = checkpoint::load(&ckpt).unwrap();
    assert!(c.pos.global_step >= 1, "{:?}", c.pos);
}

/// A run resumed into a new `--out` writes its checkpoint there before its
/// first step, so a kill at any moment leaves that directory resumable (it
/// never holds a run's files without a checkpoint).
#[test]
fn resume_into_a_new_directory_checkpoints_it_first() {
    let (_, ckpt) = stopped_run();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("continued");
    let new_ckpt = dir.join("checkpoint.safetensors");
    let mut child = Command::new(EXE)
        .args(["train", "--resume"])
        .arg(ckpt)
        .arg("--out")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !new_ckpt.exists() && child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < TIMEOUT, "no checkpoint in the new --out");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Written at the resumed position, before any step ran there.
    let c = checkpoint::load(&new_ckpt).unwrap();
    assert_eq!(c.pos.global_step, 1);
}
