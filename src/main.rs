//! The `gan-gpu` command line: `info`, `train`, `sample` and `bench`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use gan_gpu::bench::against::AgainstOptions;
use gan_gpu::bench::BenchOptions;
use gan_gpu::gpu::{describe_adapter, list_adapters, AdapterChoice, Gpu};
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::checkpoint;
use gan_gpu::train::run::{self, Outcome, RunOptions};
use gan_gpu::train::{defaults, TrainConfig};
use gan_gpu::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "gan-gpu",
    version,
    about = "A DCGAN on Fashion-MNIST with every layer a hand-written WGSL compute shader"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Pick the adapter whose name contains this (case-insensitive); also WGPU_ADAPTER_NAME.
    #[arg(long, global = true)]
    adapter: Option<String>,
    /// Use the matrix kernels without subgroup shuffles even where the adapter has subgroups.
    #[arg(long, global = true)]
    no_subgroups: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum OptimizerKind {
    /// Adam, lr 2e-4, β₁ 0.5, β₂ 0.999, ε 1e-7 (the DCGAN paper's choice)
    Adam,
    /// RMSprop, lr 1e-3, ρ 0.9, ε 1e-7 (the seed's Keras default)
    Rmsprop,
}

/// The flags of `gan-gpu train`. Those a resume takes from the checkpoint
/// are options here; their defaults live in `gan_gpu::train::defaults`.
#[derive(Args)]
struct TrainArgs {
    /// Epochs to train in total [default: 50; when resuming, the checkpoint's].
    #[arg(long)]
    epochs: Option<usize>,
    /// Images per batch [default: 32]; the discriminator sees a batch of fake plus a batch of real images.
    #[arg(long)]
    batch_size: Option<usize>,
    /// Size of the generator's noise vector [default: 100].
    #[arg(long)]
    latent_dim: Option<usize>,
    /// Optimiser for both networks [default: adam].
    #[arg(long, value_enum)]
    optimizer: Option<OptimizerKind>,
    /// Learning rate (default: 2e-4 for Adam, 1e-3 for RMSprop).
    #[arg(long)]
    lr: Option<f32>,
    /// Seed of every random number: initial weights, noise, dropout, shuffling [default: 42].
    #[arg(long)]
    seed: Option<u64>,
    /// Directory of IDX files with train-images-idx3-ubyte[.gz] (default: the shipped Fashion-MNIST).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Output directory (default: runs/<timestamp>, or the checkpoint's directory when resuming).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue exactly from this checkpoint.
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Train on the first N images only.
    #[arg(long)]
    limit: Option<usize>,
    /// Steps between metric readbacks, each waiting for the GPU once [default: 20; when resuming, the checkpoint's].
    #[arg(long)]
    log_every: Option<usize>,
}

#[derive(Subcommand)]
enum Command {
    /// List every GPU adapter wgpu sees and the chosen one's limits and features.
    Info,
    /// Train the DCGAN; writes samples, metrics, a loss plot and checkpoints to --out.
    Train(TrainArgs),
    /// Time every kernel at the model's layer shapes, then whole training steps.
    Bench {
        /// Batch sizes to measure.
        #[arg(long, value_delimiter = ',', default_value = "32,64,128")]
        batch_sizes: Vec<usize>,
        /// Only ops whose name contains one of these (comma-separated), e.g. "conv2,train step".
        #[arg(long, value_delimiter = ',')]
        ops: Vec<String>,
        /// Timed repetitions per op (the median is reported).
        #[arg(long, default_value_t = 5)]
        reps: usize,
        /// Training steps timed per batch size (0 skips the step benchmark).
        #[arg(long, default_value_t = 10)]
        train_steps: usize,
        /// Also write the results as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Instead: time the training step of this binary against another
        /// gan-gpu binary (an older build), alternated in one run, and print
        /// the ratio at each batch size.
        #[arg(long)]
        against: Option<PathBuf>,
        /// Rounds of the --against comparison (the median is reported).
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// Write a grid of images from a trained generator.
    Sample {
        /// A checkpoint written by `gan-gpu train`.
        #[arg(long)]
        checkpoint: PathBuf,
        /// Number of images.
        #[arg(long, default_value_t = 64)]
        n: usize,
        /// Seed of the noise.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output PNG.
        #[arg(long, default_value = "grid.png")]
        out: PathBuf,
    },
}

fn default_data_dir() -> PathBuf {
    let local = PathBuf::from("assets/fashion-mnist");
    if local.is_dir() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fashion-mnist")
    }
}

/// UTC time as YYYYMMDD-HHMMSS (civil-from-days, Howard Hinnant's algorithm).
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn info(choice: &AdapterChoice) -> Result<()> {
    println!("adapters:");
    for a in list_adapters() {
        println!("  {}", describe_adapter(&a));
    }
    let gpu = Gpu::new(choice)?;
    println!("chosen: {}", describe_adapter(&gpu.info));
    println!("limits: {:#?}", gpu.limits);
    println!("features: {:?}", gpu.features);
    println!(
        "subgroups: {}..{} lanes",
        gpu.info.subgroup_min_size, gpu.info.subgroup_max_size
    );
    let (matmul, conv) = if gpu.subgroup_matmul {
        (
            "subgroup (matmul_subgroup.wgsl; matmul.wgsl for N = 1)",
            "implicit im2col (conv_implicit.wgsl) where channels come in 4s, else im2col + subgroup matmul",
        )
    } else {
        (
            "vec4 (matmul_vec4.wgsl) where dimensions are multiples of 4, else scalar (matmul.wgsl)",
            "im2col/col2im (conv.wgsl) + vec4 or scalar matmul",
        )
    };
    println!("matrix products: {matmul}");
    println!("convolutions: {conv}");
    println!("why: {}", gpu.subgroup_reason);
    Ok(())
}

impl OptimizerKind {
    fn build(self, lr: Option<f32>) -> Optimizer {
        match self {
            OptimizerKind::Adam => Optimizer::adam(lr.unwrap_or(defaults::ADAM_LR)),
            OptimizerKind::Rmsprop => Optimizer::rmsprop(lr.unwrap_or(defaults::RMSPROP_LR)),
        }
    }
}

impl TrainArgs {
    /// The run's config: the flags, or the checkpoint's config when
    /// resuming (where a flag that contradicts the checkpoint is an error,
    /// since the run could not continue exactly).
    fn config(&self, resume: Option<&checkpoint::Checkpoint>) -> Result<TrainConfig> {
        let Some(ckpt) = resume else {
            return Ok(TrainConfig {
                epochs: self.epochs.unwrap_or(defaults::EPOCHS),
                batch_size: self.batch_size.unwrap_or(defaults::BATCH_SIZE),
                latent_dim: self.latent_dim.unwrap_or(defaults::LATENT_DIM),
                optimizer: self.optimizer.unwrap_or(OptimizerKind::Adam).build(self.lr),
                seed: self.seed.unwrap_or(defaults::SEED),
                data: self.data.clone().unwrap_or_else(default_data_dir),
                limit: self.limit,
                log_every: self.log_every.unwrap_or(defaults::LOG_EVERY),
            });
        };
        let c = &ckpt.config;
        let conflict = |flag: &str, ours: String, theirs: String| {
            Err(Error::Config(format!("--{flag} {ours} contradicts the checkpoint's {theirs}; drop the flag to resume exactly")))
        };
        if let Some(b) = self.batch_size.filter(|&b| b != c.batch_size) {
            return conflict("batch-size", b.to_string(), c.batch_size.to_string());
        }
        if let Some(l) = self.latent_dim.filter(|&l| l != c.latent_dim) {
            return conflict("latent-dim", l.to_string(), c.latent_dim.to_string());
        }
        if let Some(s) = self.seed.filter(|&s| s != c.seed) {
            return conflict("seed", s.to_string(), c.seed.to_string());
        }
        if self.limit.is_some() && self.limit != c.limit {
            let limit = self.limit;
            return conflict("limit", format!("{limit:?}"), format!("{:?}", c.limit));
        }
        if let Some(kind) = self.optimizer {
            let wanted = kind.build(self.lr);
            if wanted != c.optimizer {
                return conflict(
                    "optimizer",
                    format!("{wanted:?}"),
                    format!("{:?}", c.optimizer),
                );
            }
        }
        Ok(TrainConfig {
            epochs: self.epochs.unwrap_or(c.epochs),
            data: self.data.clone().unwrap_or_else(|| c.data.clone()),
            log_every: self.log_every.unwrap_or(c.log_every),
            ..c.clone()
        })
    }
}

/// Runs a command; the exit status it asks for.
fn run(cli: Cli) -> Result<i32> {
    let choice = AdapterChoice {
        name: cli.adapter,
        no_subgroups: cli.no_subgroups,
    };
    match cli.command {
        Command::Info => info(&choice).map(|()| 0),
        Command::Train(args) => {
            let resume = match &args.resume {
                Some(p) => Some((p.clone(), checkpoint::load(p)?)),
                None => None,
            };
            let cfg = args.config(resume.as_ref().map(|r| &r.1))?;
            let out = args.out.clone().unwrap_or_else(|| match &resume {
                Some((p, _)) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
                None => PathBuf::from("runs").join(timestamp()),
            });
            let stop = StopSignals::install()?;
            println!("writing to {}", out.display());
            let opts = RunOptions {
                cfg,
                out: out.clone(),
                resume,
                adapter: choice.clone(),
                show_progress: true,
            };
            let (outcome, t) = run::train(opts, &stop.stop)?;
            match outcome {
                Outcome::Finished => {
                    println!("done: {} epochs; outputs in {}", t.pos.epoch, out.display());
                    Ok(0)
                }
                Outcome::Interrupted => {
                    println!(
                        "stopped by {} at epoch {} step {}; resume with: gan-gpu train --resume {}",
                        stop.name(),
                        t.pos.epoch + 1,
                        t.pos.step_in_epoch,
                        out.join("checkpoint.safetensors").display()
                    );
                    Ok(stop.exit_code())
                }
            }
        }
        Command::Bench {
            batch_sizes,
            ops,
            reps,
            train_steps,
            json,
            against,
            rounds,
        } => {
            if let Some(b) = batch_sizes.iter().find(|&&b| b == 0) {
                return Err(Error::Config(format!(
                    "--batch-sizes: {b} is not a batch size (each must be at least 1)"
                )));
            }
            if let Some(old) = against {
                let mut global_args = Vec::new();
                if let Some(name) = &choice.name {
                    global_args.extend(["--adapter".to_string(), name.clone()]);
                }
                if choice.no_subgroups {
                    global_args.push("--no-subgroups".into());
                }
                let new = std::env::current_exe()
                    .map_err(|e| Error::Config(format!("cannot find this binary: {e}")))?;
                print!(
                    "{}",
                    gan_gpu::bench::against::against(&AgainstOptions {
                        new,
                        old,
                        batch_sizes,
                        rounds: rounds.max(1),
                        train_steps: train_steps.max(1),
                        global_args,
                    })?
                );
                return Ok(0);
            }
            let opts = BenchOptions {
                batch_sizes,
                ops,
                reps: reps.max(1),
                train_steps,
                adapter: choice.clone(),
                image_size: 28,
            };
            let report = gan_gpu::bench::run(&opts)?;
            print!("{}", gan_gpu::bench::format_report(&report));
            if let Some(path) = json {
                let text = serde_json::to_string_pretty(&report).expect("report serialises");
                std::fs::write(&path, text).map_err(gan_gpu::error::io_err(&path))?;
            }
            Ok(0)
        }
        Command::Sample {
            checkpoint,
            n,
            seed,
            out,
        } => {
            run::sample(&checkpoint, n, seed, &out, &choice.clone())?;
            println!("wrote {}", out.display());
            Ok(0)
        }
    }
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`gan-gpu info |
/// head -1`) would panic; restoring the default ends the process quietly,
/// as other command-line tools do.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default before any
    // thread starts has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// SIGINT (Ctrl-C), SIGTERM (`kill`) and SIGHUP (a closed terminal) all
/// finish the current step, write a checkpoint and end the run; the exit
/// status is 128 + the signal's number (130, 143, 129), as shells report.
struct StopSignals {
    stop: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

impl StopSignals {
    fn install() -> Result<StopSignals> {
        let stop = Arc::new(AtomicBool::new(false));
        let signal = Arc::new(AtomicUsize::new(0));
        for sig in STOP_SIGNALS {
            // A second signal ends the process at once, without a checkpoint.
            let installed =
                signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, stop.clone())
                    .and_then(|_| {
                        signal_hook::flag::register_usize(sig, signal.clone(), sig as usize)
                    })
                    .and_then(|_| signal_hook::flag::register(sig, stop.clone()));
            installed.map_err(|e| {
                Error::Config(format!("cannot install the handler of signal {sig}: {e}"))
            })?;
        }
        Ok(StopSignals { stop, signal })
    }

    fn number(&self) -> i32 {
        self.signal.load(Ordering::SeqCst) as i32
    }

    fn name(&self) -> &'static str {
        match self.number() {
            signal_hook::consts::SIGINT => "Ctrl-C (SIGINT)",
            signal_hook::consts::SIGTERM => "SIGTERM",
            _ => "SIGHUP",
        }
    }

    fn exit_code(&self) -> i32 {
        128 + self.number()
    }
}

#[cfg(unix)]
const STOP_SIGNALS: [i32; 3] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];
#[cfg(not(unix))]
const STOP_SIGNALS: [i32; 2] = [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM];

fn main() {
    // Mesa's EGL logs a failed probe of the X display on every start on
    // machines without one before it falls back to a surfaceless display;
    // RUST_LOG overrides this default.
    let default_filter = "warn,wgpu_hal::gles::egl=off";
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default_filter))
        .init();
    restore_sigpipe();
    match run(Cli::parse()) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
