//! `gan-gpu train` and `gan-gpu sample`: the epoch loop around the
//! [`Trainer`], with progress, samples, metrics, plots and checkpoints.

use super::checkpoint::{self, Checkpoint, GeneratorWeights};
use super::output::{self, square_cols, Row};
use super::sampler::{Sampler, SAMPLE_CHUNK};
use super::{Metrics, TrainConfig, Trainer, TrainingSet};
use crate::data::folder::{read_folder, FolderOptions, DEFAULT_IMAGE_SIZE};
use crate::data::{class_index, find_training_images, read_images, read_training_classes};
use crate::error::{io_err, Result};
use crate::eval::Evaluator;
use crate::gpu::{block_on, AdapterChoice, Gpu};
use crate::model::generator::Generator;
use crate::model::{gpu_seed, salt};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Images in the per-epoch sample grid (8×8) and `real.png`.
pub const GRID: usize = 64;

/// The files a run writes into its directory (besides `samples/`).
pub const RUN_FILES: [&str; 7] = [
    "checkpoint.safetensors",
    "metrics.csv",
    "config.json",
    "real.png",
    "loss.png",
    "eval.png",
    "progress.gif",
];

/// `--eval-every`: `gan-gpu eval`'s figures for `n` samples every `every`
/// epochs, with the pinned classifier `weights`. The samples' noise has
/// seed 0, as `gan-gpu eval`'s default, so the same checkpoint gives the
/// same figures either way.
#[derive(Clone, Debug)]
pub struct EvalEvery {
    pub every: usize,
    pub n: usize,
    pub weights: PathBuf,
    pub cache: Option<PathBuf>,
}

pub struct RunOptions {
    pub cfg: TrainConfig,
    pub out: PathBuf,
    /// A checkpoint to continue from, loaded by the caller.
    pub resume: Option<(PathBuf, Checkpoint)>,
    pub adapter: AdapterChoice,
    pub show_progress: bool,
    pub eval: Option<EvalEvery>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Finished,
    /// Stopped by Ctrl-C after writing a checkpoint.
    Interrupted,
}

/// A grid of `n` images in `cols` columns; 4× scale up to 256 images, 1×
/// beyond (a grid of 10,000 would otherwise be 11,000 pixels wide).
fn save_sample_grid(
    path: &Path,
    images: &[f32],
    n: usize,
    cols: usize,
    gen: &Generator,
) -> Result<()> {
    let scale = if n <= SAMPLE_CHUNK { 4 } else { 1 };
    output::save_grid(path, images, n, gen.shape.hwc(), cols, scale)
}

/// Columns of the per-epoch grid of a conditional run: one row per class.
const CLASS_GRID_COLS: usize = 8;

/// The per-epoch grid's sampler, its image count and columns: 8×8, or for
/// a conditional generator one row of 8 per class.
fn epoch_grid_sampler(gpu: &Gpu, gen: &Generator, seed: u32) -> Result<(Sampler, usize)> {
    let classes = gen.shape.classes;
    if classes == 0 {
        return Ok((Sampler::new(gpu, gen, GRID, seed)?, square_cols(GRID)));
    }
    let rows: Vec<usize> = (0..classes)
        .flat_map(|c| std::iter::repeat_n(c, CLASS_GRID_COLS))
        .collect();
    let sampler = Sampler::for_classes(gpu, gen, rows.len(), seed, &rows)?;
    Ok((sampler, CLASS_GRID_COLS))
}

/// Rebuilds progress.gif from every grid saved so far: `samples/step_*.png`
/// with `--movie-every`, else the epoch grids.
fn rebuild_movie(out: &Path, cfg: &TrainConfig) -> Result<()> {
    let prefix = match cfg.movie_every {
        Some(_) => "step",
        None => "epoch",
    };
    let frames = output::movie_frames(&out.join("samples"), prefix)?;
    if frames.is_empty() {
        return Ok(());
    }
    output::write_movie(&out.join("progress.gif"), &frames)
}

/// Loads the configured training images (with --limit applied), and
/// their classes for a conditional run: IDX files where the data directory
/// has them, else its PNG/JPEG images (with a progress bar when
/// `show_progress`).
pub fn load_training_set(cfg: &TrainConfig, show_progress: bool) -> Result<TrainingSet> {
    let (mut images, mut classes) = match find_training_images(&cfg.data) {
        Ok(path) => {
            if cfg.image_size.is_some() || cfg.channels.is_some() {
                return Err(crate::Error::Config(format!(
                    "--image-size and --channels apply to folders of images; {} holds IDX files of their own size",
                    cfg.data.display()
                )));
            }
            let images = read_images(&path)?;
            let classes = match cfg.conditional {
                true => Some(read_training_classes(&cfg.data, images.count)?),
                false => None,
            };
            (images, classes)
        }
        Err(_) if cfg.data.is_dir() => {
            let opts = FolderOptions {
                size: cfg.image_size.unwrap_or(DEFAULT_IMAGE_SIZE),
                channels: cfg.channels,
            };
            let bar = match show_progress {
                true => ProgressBar::new(0),
                false => ProgressBar::hidden(),
            };
            bar.set_style(
                ProgressStyle::with_template("loading images [{bar:28}] {pos}/{len} eta {eta}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            let loaded = read_folder(&cfg.data, opts, cfg.conditional, |done, all| {
                bar.set_length(all as u64);
                bar.set_position(done as u64);
            });
            bar.finish_and_clear();
            loaded?
        }
        Err(e) => return Err(e),
    };
    if let Some(n) = cfg.limit {
        images.truncate(n);
        if let Some(c) = &mut classes {
            c.truncate(n);
        }
    }
    Ok(TrainingSet { images, classes })
}

/// A new run never writes over files that are already in its directory
/// (an earlier run's, or the user's own); a resumed run writes into its
/// checkpoint's directory, or into a directory that holds no run.
fn check_out_dir(opts: &RunOptions) -> Result<()> {
    let out = &opts.out;
    let existing: Vec<&str> = RUN_FILES
        .iter()
        .copied()
        .filter(|n| out.join(n).exists())
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    let err = |msg: String| Err(crate::Error::Config(msg));
    let files = existing.join(", ");
    match &opts.resume {
        None if existing.contains(&"checkpoint.safetensors") => err(format!(
            "{} already holds a training run ({files}); continue it with --resume {}, or choose another --out",
            out.display(),
            out.join("checkpoint.safetensors").display()
        )),
        None => err(format!(
            "{} already holds {files}, which a new run would overwrite; choose another --out",
            out.display()
        )),
        Some((path, _)) => {
            let ckpt_dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let same = match (ckpt_dir.canonicalize(), out.canonicalize()) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            };
            if same {
                Ok(())
            } else {
                err(format!(
                    "--out {} holds another run ({files}); resume into the checkpoint's own directory, or an --out without one",
                    out.display()
                ))
            }
        }
    }
}

/// Stops a run whose losses stopped being numbers: the last checkpoint
/// (written before this readback) stays as it was.
fn check_finite(m: &Metrics, step: u64, ckpt: &Path) -> Result<()> {
    for (name, v) in [("discriminator", m.d_loss), ("generator", m.g_loss)] {
        if !v.is_finite() {
            return Err(crate::Error::Diverged(format!(
                "the {name} loss is {v} at step {step}; training diverged (try a smaller --lr). The last good checkpoint, {}, is kept",
                ckpt.display()
            )));
        }
    }
    Ok(())
}

fn averaged(parts: &[Metrics]) -> Metrics {
    let steps: usize = parts.iter().map(|m| m.steps).sum();
    let w = |f: fn(&Metrics) -> f64| {
        parts.iter().map(|m| f(m) * m.steps as f64).sum::<f64>() / steps.max(1) as f64
    };
    Metrics {
        d_loss: w(|m| m.d_loss),
        g_loss: w(|m| m.g_loss),
        d_accuracy: w(|m| m.d_accuracy),
        d_real: w(|m| m.d_real),
        d_fake: w(|m| m.d_fake),
        steps,
    }
}

/// Trains until `cfg.epochs` or until `stop` is raised, writing every output
/// into `opts.out`. Returns the trainer for inspection.
pub fn train(opts: RunOptions, stop: &AtomicBool) -> Result<(Outcome, Trainer)> {
    let cfg = opts.cfg.clone();
    cfg.validate()?;
    check_out_dir(&opts)?;
    let data = load_training_set(&cfg, opts.show_progress)?;
    let gpu = block_on(Gpu::new(&opts.adapter))?;
    log::info!("training on {} ({:?})", gpu.info.name, gpu.info.backend);
    let mut t = Trainer::new(gpu, cfg.clone(), data)?;
    if let Some((path, ckpt)) = &opts.resume {
        ckpt.restore(path, &mut t)?;
    }
    // Made before anything is written, so a bad --eval-every or a missing
    // test set leaves no run directory behind.
    let evaluator = match &opts.eval {
        Some(e) => {
            if e.every == 0 || e.n < 2 * crate::eval::KID_SUBSETS {
                return Err(crate::Error::Config(format!(
                    "--eval-every {} / --eval-n {}: evaluate every epoch or more, on at least {} samples",
                    e.every,
                    e.n,
                    2 * crate::eval::KID_SUBSETS
                )));
            }
            let cache = e.cache.as_deref();
            Some(Evaluator::from_weights(
                &t.gpu, &e.weights, &cfg.data, cache,
            )?)
        }
        None => None,
    };
    let out = &opts.out;
    std::fs::create_dir_all(out.join("samples")).map_err(io_err(out))?;
    let stale = checkpoint::remove_stale_temp_files(out, &RUN_FILES);
    if stale > 0 {
        log::info!("removed {stale} temporary files a stopped run left");
    }
    let ckpt_path = out.join("checkpoint.safetensors");
    if !ckpt_path.exists() {
        // The first file a run writes into a directory (a new run's, or a
        // resumed run's new --out), so that a run killed at any later
        // moment (even by a signal it cannot catch) can be resumed, and a
        // directory never holds a run's files without its checkpoint.
        block_on(checkpoint::save(&t, &ckpt_path))?;
    }
    checkpoint::write_atomically(
        &out.join("config.json"),
        serde_json::to_string_pretty(&cfg)
            .expect("config serialises")
            .as_bytes(),
    )?;
    let n_real = GRID.min(t.images.count);
    let real =
        crate::eval::features::scale_bytes(&t.images.pixels[..n_real * t.images.image_len()]);
    output::save_grid(&out.join("real.png"), &real, n_real, t.shape.hwc(), 8, 4)?;
    let (sampler, grid_cols) = epoch_grid_sampler(
        &t.gpu,
        t.sampling_generator(),
        gpu_seed(cfg.seed) ^ salt::SAMPLE_GRID_SEED_MIX,
    )?;
    let csv = out.join("metrics.csv");
    if opts.resume.is_some() {
        // Rows a killed run logged after its last checkpoint are redone.
        output::truncate_csv_after(&csv, t.pos.global_step)?;
        // A run killed between its frames and the movie's rewrite.
        rebuild_movie(out, &cfg)?;
    }

    let start = Instant::now();
    while t.pos.epoch < cfg.epochs {
        let epoch = t.pos.epoch;
        let bar = if opts.show_progress {
            ProgressBar::new(t.steps_per_epoch as u64)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:28}] {pos}/{len} {msg} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{}/{}", epoch + 1, cfg.epochs));
        bar.set_position(t.pos.step_in_epoch as u64);
        let epoch_start = Instant::now();
        let first_step = t.pos.step_in_epoch;
        let mut parts = Vec::new();
        let mut last_log = (Instant::now(), t.pos.global_step);
        while t.pos.epoch == epoch {
            t.step()?;
            bar.inc(1);
            if let Some(every) = cfg.movie_every {
                if t.pos.global_step % every as u64 == 0 {
                    save_sample_grid(
                        &out.join("samples")
                            .join(format!("step_{:08}.png", t.pos.global_step)),
                        &block_on(sampler.images(&t.gpu, 0))?,
                        sampler.n,
                        grid_cols,
                        &t.gen,
                    )?;
                }
            }
            let end_of_epoch = t.pos.epoch != epoch;
            if t.pos.global_step % cfg.log_every as u64 == 0
                || end_of_epoch
                || stop.load(Ordering::SeqCst)
            {
                let m = block_on(t.read_metrics())?;
                check_finite(&m, t.pos.global_step, &ckpt_path)?;
                let secs = last_log.0.elapsed().as_secs_f64();
                let ips = (t.pos.global_step - last_log.1) as f64 * cfg.batch_size as f64
                    / secs.max(1e-9);
                last_log = (Instant::now(), t.pos.global_step);
                let message = format!(
                    "D {:.3} G {:.3} D(x) {:.2} D(G(z)) {:.2} acc {:.0}% {:.0} img/s",
                    m.d_loss,
                    m.g_loss,
                    m.d_real,
                    m.d_fake,
                    100.0 * m.d_accuracy,
                    ips
                );
                if opts.show_progress && bar.is_hidden() {
                    // Not a terminal (a log file, CI): a line per readback instead of the bar.
                    eprintln!(
                        "epoch {} step {}/{}: {message}",
                        epoch + 1,
                        bar.position(),
                        t.steps_per_epoch
                    );
                }
                bar.set_message(message);
                log::debug!("step {}: {m:?}", t.pos.global_step);
                // Appended as it comes, so metrics.csv can be watched during an epoch.
                output::append_csv(
                    &csv,
                    &[Row {
                        kind: "step",
                        epoch,
                        step: t.pos.global_step,
                        m,
                        images_per_sec: ips,
                        elapsed_s: start.elapsed().as_secs_f64(),
                    }],
                )?;
                parts.push(m);
            }
            if stop.load(Ordering::SeqCst) {
                block_on(checkpoint::save(&t, &ckpt_path))?;
                rebuild_movie(out, &cfg)?;
                bar.abandon_with_message(format!(
                    "interrupted; checkpoint written to {}",
                    ckpt_path.display()
                ));
                return Ok((Outcome::Interrupted, t));
            }
        }
        let epoch_secs = epoch_start.elapsed().as_secs_f64();
        let ips =
            (t.steps_per_epoch - first_step) as f64 * cfg.batch_size as f64 / epoch_secs.max(1e-9);
        let row = Row {
            kind: "epoch",
            epoch,
            step: t.pos.global_step,
            m: averaged(&parts),
            images_per_sec: ips,
            elapsed_s: start.elapsed().as_secs_f64(),
        };
        output::append_csv(&csv, &[row])?;
        save_sample_grid(
            &out.join("samples")
                .join(format!("epoch_{:03}.png", epoch + 1)),
            &block_on(sampler.images(&t.gpu, 0))?,
            sampler.n,
            grid_cols,
            &t.gen,
        )?;
        block_on(checkpoint::save(&t, &ckpt_path))?;
        output::plot_losses(&out.join("loss.png"), &output::read_csv_steps(&csv))?;
        rebuild_movie(out, &cfg)?;
        bar.finish();
        if let (Some(ev), Some(e)) = (&evaluator, &opts.eval) {
            if (epoch + 1) % e.every == 0 {
                let eval_sampler =
                    Sampler::new(&t.gpu, t.sampling_generator(), e.n.min(SAMPLE_CHUNK), 0)?;
                let images = block_on(eval_sampler.draw(&t.gpu, e.n))?;
                let names = t.classes.as_ref().map_or(&[][..], |c| &c.names[..]);
                let drawn = crate::eval::drawn_classes(names, e.n);
                let epoch_name = format!("epoch {}", epoch + 1);
                let r = ev.measure(&t.gpu, epoch_name, &images, drawn.as_deref(), 0)?;
                if opts.show_progress {
                    println!(
                        "epoch {}: FID {:.2}, KID {:.4} ± {:.4}, precision {:.3}, recall {:.3}, {}/10 classes ({} samples, {:.0} s)",
                        epoch + 1, r.fid, r.kid, r.kid_standard_error, r.precision, r.recall, r.classes_covered, r.n, r.seconds
                    );
                }
                output::append_eval_csv(
                    &csv,
                    &output::EvalRow {
                        epoch,
                        step: t.pos.global_step,
                        elapsed_s: start.elapsed().as_secs_f64(),
                        fid: r.fid,
                        kid: r.kid,
                        kid_se: r.kid_standard_error,
                        precision: r.precision,
                        recall: r.recall,
                        classes_covered: r.classes_covered,
                    },
                )?;
                output::plot_evals(&out.join("eval.png"), &output::read_csv_evals(&csv))?;
            }
        }
    }
    Ok((Outcome::Finished, t))
}

/// `gan-gpu sample`: a grid of `n` images from a checkpoint's generator
/// (inference-mode batch norm) with noise drawn from `seed`. A conditional
/// generator draws the `classes` named (names or numbers), or else every
/// class; with more than one class, each gets a row of ⌈n / classes⌉.
pub fn sample(
    checkpoint_path: &Path,
    n: usize,
    seed: u64,
    which: Option<GeneratorWeights>,
    classes: &[String],
    out: &Path,
    adapter: &AdapterChoice,
) -> Result<()> {
    if n == 0 {
        return Err(crate::Error::Config("--n must be at least 1".into()));
    }
    let ckpt = checkpoint::load(checkpoint_path)?;
    if !classes.is_empty() && !ckpt.shape.is_conditional() {
        return Err(crate::Error::Config(format!(
            "--class: {} is unconditional (trained without --conditional); it draws no chosen class",
            checkpoint_path.display()
        )));
    }
    let chosen = match classes {
        [] => (0..ckpt.shape.classes).collect(),
        names => names
            .iter()
            .map(|q| class_index(&ckpt.classes, q))
            .collect::<Result<Vec<usize>>>()?,
    };
    let (pattern, n, cols) = match chosen.len() {
        0 | 1 => (chosen, n, square_cols(n)),
        k => {
            let per = n.div_ceil(k);
            let rows = chosen
                .iter()
                .flat_map(|&c| std::iter::repeat_n(c, per))
                .collect();
            (rows, k * per, per)
        }
    };
    let gpu = block_on(Gpu::new(adapter))?;
    let gen = Generator::new(&gpu, ckpt.shape, 0)?;
    let which = which.unwrap_or_else(|| ckpt.sampling_weights());
    ckpt.restore_generator(checkpoint_path, &gpu, &gen, which)?;
    let sampler = Sampler::for_classes(&gpu, &gen, n.min(SAMPLE_CHUNK), gpu_seed(seed), &pattern)?;
    let images = block_on(sampler.draw(&gpu, n))?;
    save_sample_grid(out, &images, n, cols, &gen)
}
