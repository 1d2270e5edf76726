//! The `gan-gpu` command line: `info`, `train`, `sample`, `eval`, `bench`
//! and `classifier train`.
//! Native only: in a browser the page in `web/` drives the library.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

mod cli;

use clap::{Parser, Subcommand};
use cli::classifier::ClassifierTrainArgs;
use cli::eval::EvalArgs;
use cli::signals::{restore_sigpipe, StopSignals};
use cli::train::{timestamp, TrainArgs};
use gan_gpu::bench::against::AgainstOptions;
use gan_gpu::bench::BenchOptions;
use gan_gpu::gpu::{block_on, describe_adapter, list_adapters, AdapterChoice, Gpu};
use gan_gpu::train::checkpoint;
use gan_gpu::train::interpolate;
use gan_gpu::train::run::{self, EvalEvery, Outcome, RunOptions};
use gan_gpu::{Error, Result};
use std::path::{Path, PathBuf};

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
    /// Read the subgroup kernels' operands from storage buffers even on a CPU Vulkan driver, where texel fetches are chosen.
    #[arg(long, global = true)]
    no_texel_operands: bool,
    /// Neither read nor write the pipeline cache (Vulkan; in ~/.cache/gan-gpu/pipelines).
    #[arg(long, global = true)]
    no_pipeline_cache: bool,
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
        /// Instead: time every dispatch of the real training step with GPU
        /// timestamps (at the first --batch-sizes, over --train-steps
        /// steps) and print the time by kernel.
        #[arg(long)]
        profile: bool,
        /// Image side of the model measured (28: Fashion-MNIST's; 32, 48, 64: an image folder's).
        #[arg(long, default_value_t = 28)]
        image_size: usize,
        /// Colour channels of the model measured: 1 (grey) or 3 (RGB).
        #[arg(long, default_value_t = 1)]
        channels: usize,
    },
    /// FID, KID, precision/recall and class coverage of a checkpoint's samples against the test set.
    Eval(EvalArgs),
    /// The classifier `eval` measures samples with.
    #[command(subcommand)]
    Classifier(ClassifierCommand),
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
        /// Which of the checkpoint's generators [default: the moving average where it has one].
        #[arg(long, value_enum)]
        generator: Option<cli::train::GeneratorArg>,
        /// A conditional checkpoint: draw this class, by name ("sneaker", "ankle boot") or number; repeat for several (a row each) [default: every class, a row each].
        #[arg(long = "class", value_name = "CLASS")]
        classes: Vec<String>,
    },
    /// Latent walks: spherical interpolations between random noise vectors, a row per walk (.png) or animated (.gif).
    Interpolate {
        /// A checkpoint written by `gan-gpu train`.
        #[arg(long)]
        checkpoint: PathBuf,
        /// Walks.
        #[arg(long, default_value_t = 8)]
        rows: usize,
        /// Points along each walk, both ends included.
        #[arg(long, default_value_t = 10)]
        steps: usize,
        /// Seed of the walks' end points.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Which of the checkpoint's generators [default: the moving average where it has one].
        #[arg(long, value_enum)]
        generator: Option<cli::train::GeneratorArg>,
        /// A conditional checkpoint: morph this class (a name or a number) into --to-class at fixed noise, one noise per row.
        #[arg(long, requires = "to_class")]
        from_class: Option<String>,
        /// The class --from-class morphs into.
        #[arg(long, requires = "from_class")]
        to_class: Option<String>,
        /// Output: a .png strip or a .gif animation.
        #[arg(long, default_value = "walk.png")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ClassifierCommand {
    /// Train it from a seed on the train set; prints test accuracy per epoch and the weights' SHA-256.
    Train(ClassifierTrainArgs),
}

fn info(choice: &AdapterChoice) -> Result<()> {
    println!("adapters:");
    for a in block_on(list_adapters()) {
        println!("  {}", describe_adapter(&a));
    }
    let gpu = block_on(Gpu::new(choice))?;
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
    println!("operands A and B read from: {}", gpu.texel_reason);
    match gpu.pipeline_cache_file() {
        Some((path, read)) => println!("pipeline cache: {} ({read} bytes read)", path.display()),
        None if choice.pipeline_cache.is_none() => println!("pipeline cache: off"),
        None => println!("pipeline cache: none (the backend has none in wgpu)"),
    }
    Ok(())
}

/// Runs a command; the exit status it asks for.
fn run(cli: Cli) -> Result<i32> {
    let choice = AdapterChoice {
        name: cli.adapter,
        no_subgroups: cli.no_subgroups,
        no_texel_operands: cli.no_texel_operands,
        pipeline_cache: if cli.no_pipeline_cache {
            None
        } else {
            gan_gpu::eval::default_cache_dir().map(|d| d.join("pipelines"))
        },
        ..Default::default()
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
                eval: args.eval_every.map(|every| EvalEvery {
                    every,
                    n: args.eval_n,
                    weights: cli::train::shipped_asset(cli::eval::SHIPPED_CLASSIFIER),
                    cache: gan_gpu::eval::default_cache_dir(),
                }),
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
            profile,
            image_size,
            channels,
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
                if choice.no_texel_operands {
                    global_args.push("--no-texel-operands".into());
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
                image_size,
                channels,
            };
            if profile {
                let b = opts.batch_sizes.first().copied().unwrap_or(64);
                match gan_gpu::bench::profile::profile(&opts, b, opts.train_steps)? {
                    Some(table) => {
                        print!("{table}");
                        return Ok(0);
                    }
                    None => println!(
                        "this adapter has no timestamp queries: the CPU-timed per-op bench instead\n"
                    ),
                }
            }
            let report = gan_gpu::bench::run(&opts)?;
            print!("{}", gan_gpu::bench::format_report(&report));
            if let Some(path) = json {
                let text = serde_json::to_string_pretty(&report).expect("report serialises");
                std::fs::write(&path, text).map_err(gan_gpu::error::io_err(&path))?;
            }
            Ok(0)
        }
        Command::Eval(args) => cli::eval::eval(&args, &choice).map(|()| 0),
        Command::Classifier(ClassifierCommand::Train(args)) => {
            cli::classifier::train(&args, &choice).map(|()| 0)
        }
        Command::Sample {
            checkpoint,
            n,
            seed,
            out,
            generator,
            classes,
        } => {
            let which = generator.map(cli::train::GeneratorArg::build);
            run::sample(&checkpoint, n, seed, which, &classes, &out, &choice)?;
            println!("wrote {}", out.display());
            Ok(0)
        }
        Command::Interpolate {
            checkpoint,
            rows,
            steps,
            seed,
            generator,
            from_class,
            to_class,
            out,
        } => {
            let opts = interpolate::InterpolateOptions {
                checkpoint: &checkpoint,
                rows,
                steps,
                seed,
                generator: generator.map(cli::train::GeneratorArg::build),
                morph: from_class.as_deref().zip(to_class.as_deref()),
                out: &out,
            };
            interpolate::interpolate(&opts, &choice)?;
            println!("wrote {}", out.display());
            Ok(0)
        }
    }
}

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
