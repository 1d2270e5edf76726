//! `gan-gpu bench --against OTHER`: the training step of this binary and
//! of another build (an older commit, say), alternated round by round in
//! one run, so that both see the same machine and the same load. Each
//! round runs each binary's own `bench --ops "train step" --json` in a
//! fresh process; the report is the median images/s per binary and batch
//! size, and their ratio.

use super::Report;
use crate::error::{io_err, Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct AgainstOptions {
    /// This binary and the one to compare with.
    pub new: PathBuf,
    pub old: PathBuf,
    pub batch_sizes: Vec<usize>,
    pub rounds: usize,
    pub train_steps: usize,
    /// Global flags passed to both (`--adapter NAME`, `--no-subgroups`).
    pub global_args: Vec<String>,
}

/// Images/s of `bin`'s training step at each of `opts.batch_sizes`.
fn step_rates(bin: &Path, opts: &AgainstOptions, json: &Path) -> Result<Vec<f64>> {
    let sizes: Vec<String> = opts.batch_sizes.iter().map(usize::to_string).collect();
    let out = Command::new(bin)
        .args(&opts.global_args)
        .args(["bench", "--ops", "train step", "--batch-sizes"])
        .arg(sizes.join(","))
        .arg("--train-steps")
        .arg(opts.train_steps.to_string())
        .arg("--json")
        .arg(json)
        .output()
        .map_err(io_err(bin))?;
    if !out.status.success() {
        return Err(Error::Config(format!(
            "{} bench failed: {}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let text = std::fs::read_to_string(json).map_err(io_err(json))?;
    let report: Report = serde_json::from_str(&text).map_err(|e| Error::Data {
        path: json.to_path_buf(),
        msg: format!("not a bench report: {e}"),
    })?;
    opts.batch_sizes
        .iter()
        .map(|&b| {
            report
                .steps
                .iter()
                .find(|s| s.batch == b)
                .map(|s| s.images_per_s)
                .ok_or_else(|| {
                    Error::Config(format!("{} reported no step at batch {b}", bin.display()))
                })
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the comparison; the table as text.
pub fn against(opts: &AgainstOptions) -> Result<String> {
    let dir = std::env::temp_dir().join(format!("gan-gpu-against-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let json = dir.join("report.json");
    let mut rates = [Vec::new(), Vec::new()];
    for round in 0..opts.rounds {
        // Alternate which binary goes first, so neither always runs warm.
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let bin = if which == 0 { &opts.old } else { &opts.new };
            rates[which].push(step_rates(bin, opts, &json)?);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let mut s = format!(
        "training step, {} rounds alternated; images/s (median)\nold: {}\nnew: {}\n\n{:<6} {:>10} {:>10} {:>9}\n",
        opts.rounds,
        opts.old.display(),
        opts.new.display(),
        "batch",
        "old",
        "new",
        "new/old"
    );
    for (i, b) in opts.batch_sizes.iter().enumerate() {
        let old = median(rates[0].iter().map(|r| r[i]).collect());
        let new = median(rates[1].iter().map(|r| r[i]).collect());
        s += &format!("{b:<6} {old:>10.1} {new:>10.1} {:>8.2}×\n", new / old);
    }
    Ok(s)
}
