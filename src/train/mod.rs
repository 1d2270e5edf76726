//! The GAN schedule on the GPU: the seed's alternating discriminator and
//! generator steps, recorded once as one program and replayed every step
//! with no CPU readback in between.

pub mod checkpoint;
pub mod defaults;
#[cfg(not(target_arch = "wasm32"))]
pub mod interpolate;
#[cfg(not(target_arch = "wasm32"))]
pub mod output;
#[cfg(not(target_arch = "wasm32"))]
pub mod run;
pub mod sampler;

use crate::data::{Classes, Images};
use crate::error::{Error, Result};
use crate::gpu::profile::DispatchTime;
use crate::gpu::{Gpu, Program, Tensor};
use crate::model::discriminator::{DiscGrads, Discriminator};
use crate::model::generator::{BnMode, Generator};
use crate::model::params::ParamSet;
use crate::model::{gpu_seed, names, salt, ModelShape};
use crate::ops::counter::RngSource;
use crate::ops::counter::StepCounter;
use crate::ops::loss::{self, BinaryKind, LossMetrics};
use crate::ops::{data, random};
use crate::ops::{ema, optim};
use crate::spec::optim::Optimizer;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub latent_dim: usize,
    pub optimizer: Optimizer,
    pub seed: u64,
    pub data: PathBuf,
    pub limit: Option<usize>,
    /// Steps between metric readbacks (each one waits for the GPU).
    pub log_every: usize,
    /// Which batch-norm statistics the generator uses for the
    /// discriminator's fake batch (checkpoints from before this field read
    /// as `Batch`).
    #[serde(default)]
    pub fake_batch_norm: FakeBatchNorm,
    /// One-sided label smoothing (Salimans et al. 2016): the
    /// discriminator's target for real images is 1 - this; 0 is none.
    #[serde(default)]
    pub label_smoothing: f32,
    /// The discriminator's learning rate where it differs from the
    /// generator's (the two time-scale update rule, Heusel et al. 2017).
    #[serde(default)]
    pub disc_lr: Option<f32>,
    /// The GAN's loss (checkpoints from before this field read as `Bce`).
    #[serde(default)]
    pub loss: GanLoss,
    /// The decay of an exponential moving average of the generator's
    /// weights, which then draws every sample and evaluation; none when
    /// absent.
    #[serde(default)]
    pub ema: Option<f32>,
    /// Spectral normalisation of the discriminator's kernels (Miyato et
    /// al. 2018).
    #[serde(default)]
    pub spectral_norm: bool,
    /// Steps between the frames of progress.gif; none: a frame per epoch.
    #[serde(default)]
    pub movie_every: Option<usize>,
    /// Both networks conditioned on the images' classes (the training
    /// labels beside the images, or a folder's class folders).
    #[serde(default)]
    pub conditional: bool,
    /// A folder of images: the side they are resized to (none: the
    /// default, 32).
    #[serde(default)]
    pub image_size: Option<usize>,
    /// A folder of images: 1 (grey) or 3 (RGB); none: RGB if any image has
    /// colour.
    #[serde(default)]
    pub channels: Option<usize>,
}

/// The losses the discriminator and generator minimise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GanLoss {
    /// Binary cross-entropy, the seed's: D on fake 0 / real 1, and G's
    /// non-saturating form, -log D(G(z)) (its target is 1).
    #[default]
    Bce,
    /// The hinge loss: D minimises max(0, 1 - D(x)) + max(0, 1 + D(G(z))),
    /// G minimises -D(G(z)), on D's logits.
    Hinge,
}

/// The batch-norm statistics of the generator pass that makes the
/// discriminator's fake batch. The generator's own step always uses batch
/// statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FakeBatchNorm {
    /// The batch's own statistics, as in the generator's step (`--recipe
    /// dcgan`; what checkpoints from before this field were trained with).
    #[default]
    Batch,
    /// The running statistics: the seed's Keras code calls
    /// `generator(noise)` in inference mode for the discriminator's batch
    /// (`gan-gpu train`'s default).
    Running,
}

impl TrainConfig {
    /// Checks every value a run depends on; the message names the flag or
    /// field and the value. Runs and checkpoints are only made from a valid
    /// config, and loaders check again.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::Config(msg));
        if self.batch_size == 0 {
            return bad("--batch-size must be at least 1".into());
        }
        if self.latent_dim == 0 {
            return bad("--latent-dim must be at least 1".into());
        }
        if self.log_every == 0 {
            return bad("--log-every must be at least 1".into());
        }
        if self.movie_every == Some(0) {
            return bad("--movie-every must be at least 1".into());
        }
        if self.limit == Some(0) {
            return bad("--limit must be at least 1".into());
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            return bad(format!(
                "--label-smoothing {} must be in [0, 1)",
                self.label_smoothing
            ));
        }
        if self.loss == GanLoss::Hinge && self.label_smoothing != 0.0 {
            return bad(format!(
                "--label-smoothing {} has no meaning for --loss hinge, whose targets are margins",
                self.label_smoothing
            ));
        }
        if let Some(d) = self.ema.filter(|d| !(0.0..1.0).contains(d)) {
            return bad(format!("--ema {d} must be in [0, 1)"));
        }
        self.disc_optimizer()
            .validate()
            .or_else(|e| bad(format!("--lr-d: {e}")))?;
        self.optimizer
            .validate()
            .or_else(|e| bad(format!("--lr / --optimizer: {e}")))
    }

    /// The discriminator's optimiser: the generator's, at `disc_lr` if set.
    pub fn disc_optimizer(&self) -> Optimizer {
        match self.disc_lr {
            Some(lr) => self.optimizer.with_lr(lr),
            None => self.optimizer,
        }
    }
}

/// Where training stands: the next step to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Position {
    pub epoch: usize,
    pub step_in_epoch: usize,
    pub global_step: u64,
}

/// Averages since the last readback.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Metrics {
    pub d_loss: f64,
    pub g_loss: f64,
    /// Discriminator accuracy on its fake + real batch.
    pub d_accuracy: f64,
    /// Mean D(x) over real images.
    pub d_real: f64,
    /// Mean D(G(z)) over generated images, in the discriminator's step.
    pub d_fake: f64,
    pub steps: usize,
}

/// Slots of the metrics buffer ([`LossMetrics`]): the discriminator's loss
/// and statistics in its own step, the generator's loss in its step.
const METRICS_D_STEP: usize = 0;
const METRICS_G_STEP: usize = 1;

/// The training state on the GPU and the recorded step.
pub struct Trainer {
    pub gpu: Gpu,
    pub cfg: TrainConfig,
    pub shape: ModelShape,
    pub gen: Generator,
    /// The generator with the moving average of `gen`'s weights and running
    /// statistics (`--ema`).
    pub gen_ema: Option<Generator>,
    pub disc: Discriminator,
    pub images: Images,
    /// A conditional run's labels and class names.
    pub classes: Option<Classes>,
    pub pos: Position,
    pub steps_per_epoch: usize,
    order: Tensor,
    order_epoch: Option<usize>,
    counter: Tensor,
    metrics: Tensor,
    step_program: Program,
}

/// The permutation of image indices for `epoch`: seeded, so a resumed run
/// sees the same order.
pub fn epoch_order(seed: u64, epoch: usize, count: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..count as u32).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(
        seed ^ (epoch as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
    );
    order.shuffle(&mut rng);
    order
}

/// What a run trains on: the images, and for a conditional run their
/// classes.
pub struct TrainingSet {
    pub images: Images,
    pub classes: Option<Classes>,
}

impl From<Images> for TrainingSet {
    fn from(images: Images) -> TrainingSet {
        TrainingSet {
            images,
            classes: None,
        }
    }
}

impl TrainingSet {
    /// The model shape for `cfg` on this data; checks that a conditional
    /// run has one class per image and an unconditional one none.
    fn shape(&self, cfg: &TrainConfig) -> Result<ModelShape> {
        let images = &self.images;
        let shape = ModelShape::new(cfg.latent_dim, images.height, images.width)?
            .with_channels(images.channels);
        match (&self.classes, cfg.conditional) {
            (None, false) => Ok(shape),
            (Some(c), true) if c.labels.len() == images.count && !c.names.is_empty() => {
                Ok(shape.with_classes(c.names.len()))
            }
            (Some(c), true) => Err(Error::Config(format!(
                "{} labels and {} class names for {} images",
                c.labels.len(),
                c.names.len(),
                images.count
            ))),
            (None, true) => Err(Error::Config(
                "--conditional needs the images' class labels".into(),
            )),
            (Some(_), false) => Err(Error::Config(
                "class labels were given to a run without --conditional".into(),
            )),
        }
    }
}

impl Trainer {
    /// Sets up networks, data and the step program; weights are initialised
    /// from the seed (a checkpoint can overwrite them with `restore`).
    pub fn new(gpu: Gpu, cfg: TrainConfig, data: impl Into<TrainingSet>) -> Result<Trainer> {
        cfg.validate()?;
        let data: TrainingSet = data.into();
        let shape = data.shape(&cfg)?;
        let TrainingSet { images, classes } = data;
        let b = cfg.batch_size;
        if images.count < b {
            return Err(Error::Config(format!(
                "{} images are fewer than one batch of {b}",
                images.count
            )));
        }
        let states = cfg.optimizer.state_count();
        let gen = Generator::new(&gpu, shape, states)?;
        let disc = Discriminator::new(&gpu, shape, states, cfg.spectral_norm)?;
        let counter = StepCounter::default().upload(&gpu, "step counter")?;
        let seed = gpu_seed(cfg.seed);
        let mut init = Program::new();
        gen.params.record_init(&gpu, &mut init, seed, &counter)?;
        disc.params
            .record_init(&gpu, &mut init, seed ^ salt::DISC_INIT_SEED_MIX, &counter)?;
        let gen_ema = match cfg.ema {
            Some(_) => {
                let average = Generator::new(&gpu, shape, 0)?;
                record_average(&gpu, &mut init, &gen, &average, ema::Decay::Copy, &counter)?;
                Some(average)
            }
            None => None,
        };
        gpu.run(&init)?;

        let dataset = gpu.upload(
            "dataset",
            &[images.pixels.len().div_ceil(4)],
            &data::pack_bytes(&images.pixels),
        )?;
        let labels = match &classes {
            Some(c) => Some(gpu.upload(
                "class labels",
                &[c.labels.len().div_ceil(4)],
                &data::pack_bytes(&c.labels),
            )?),
            None => None,
        };
        let order = gpu.zeros("epoch order", &[images.count])?;
        let metrics = gpu.zeros("metrics", &[2 * loss::SLOT])?;
        let step_program = record_step(
            &gpu,
            &cfg,
            &shape,
            (&gen, gen_ema.as_ref()),
            &disc,
            (&dataset, labels.as_ref()),
            &order,
            &counter,
            &metrics,
        )
        .map_err(|e| match e {
            Error::DeviceLimit { op, msg } => Error::DeviceLimit {
                op,
                msg: format!("{msg} at batch size {b}; a smaller batch fits"),
            },
            e => e,
        })?;
        Ok(Trainer {
            steps_per_epoch: images.count / b,
            gpu,
            cfg,
            shape,
            gen,
            gen_ema,
            disc,
            images,
            classes,
            pos: Position::default(),
            order,
            order_epoch: None,
            counter,
            metrics,
            step_program,
        })
    }

    /// Gives the device back, for a new run on it.
    pub fn into_gpu(self) -> Gpu {
        self.gpu
    }

    /// The generator that draws samples and evaluations: the moving
    /// average with `--ema`, else the trained one.
    pub fn sampling_generator(&self) -> &Generator {
        self.gen_ema.as_ref().unwrap_or(&self.gen)
    }

    /// Dispatches in one training step (one command buffer).
    pub fn dispatches_per_step(&self) -> usize {
        self.step_program.len()
    }

    /// Operand copies into textures per step, and their bytes (none
    /// unless the adapter reads operands by texel fetch).
    pub fn texel_copies_per_step(&self) -> (usize, u64) {
        self.step_program.texel_copies()
    }

    /// Both networks' parameter sets with their checkpoint names.
    pub fn nets(&self) -> [(&'static str, &ParamSet); 2] {
        [
            (names::GENERATOR, &self.gen.params),
            (names::DISCRIMINATOR, &self.disc.params),
        ]
    }

    /// Submits one training step without waiting for it.
    pub fn step(&mut self) -> Result<()> {
        self.prepare_step()?;
        self.gpu.submit(&self.step_program)?;
        self.advance();
        Ok(())
    }

    /// Runs one training step with a GPU timestamp around every dispatch
    /// (`bench --profile`); the step counts like any other.
    pub async fn profile_step(&mut self) -> Result<Vec<DispatchTime>> {
        self.prepare_step()?;
        let times = self.gpu.profile(&self.step_program).await?;
        self.advance();
        Ok(times)
    }

    /// Uploads what the next step reads: the epoch's order when it
    /// changes, and the step counter.
    fn prepare_step(&mut self) -> Result<()> {
        if self.order_epoch != Some(self.pos.epoch) {
            let order = epoch_order(self.cfg.seed, self.pos.epoch, self.images.count);
            self.gpu.write(&self.order, &order)?;
            self.order_epoch = Some(self.pos.epoch);
        }
        let counter = StepCounter {
            step: self.pos.global_step as u32,
            batch_start: (self.pos.step_in_epoch * self.cfg.batch_size) as u32,
        };
        counter.write(&self.gpu, &self.counter)
    }

    fn advance(&mut self) {
        self.pos.global_step += 1;
        self.pos.step_in_epoch += 1;
        if self.pos.step_in_epoch >= self.steps_per_epoch {
            self.pos.epoch += 1;
            self.pos.step_in_epoch = 0;
        }
    }

    /// Waits for the GPU, returns the averaged metrics since the last call
    /// and resets the accumulators.
    pub async fn read_metrics(&mut self) -> Result<Metrics> {
        let raw: Vec<f32> = self.gpu.download(&self.metrics).await?;
        self.gpu.write(&self.metrics, &vec![0.0f32; raw.len()])?;
        let [d, g] = LossMetrics::slots(&raw) else {
            unreachable!("the metrics tensor holds two slots");
        };
        let n = d.calls.max(1.0) as f64;
        Ok(Metrics {
            d_loss: d.loss as f64 / n,
            d_accuracy: d.accuracy as f64 / n,
            d_real: d.mean_sigmoid_positive as f64 / n,
            d_fake: d.mean_sigmoid_negative as f64 / n,
            g_loss: g.loss as f64 / n,
            steps: d.calls as usize,
        })
    }
}

/// Records one whole training step:
/// 1. z ~ N(0, 1); the generator (batch statistics, or the running ones
///    with `FakeBatchNorm::Running`) writes G(z) into the first half of the
///    discriminator's input; the real batch is gathered
///    into the second half.
/// 2. D forward and backward on that batch of 2B with labels 0 then 1 (or
///    1 - label_smoothing) (the seed's `train_on_batch` on fake + real),
///    then D's update (at `disc_lr` if set).
/// 3. New z; G forward (batch statistics, running statistics updated);
///    D forward (dropout active, as Keras trains the combined model) with
///    label 1; backward through the frozen D into G; G's update.
/// 4. With `--ema`, the average generator follows G's weights and running
///    statistics.
///
/// A conditional run gathers the real batch's classes first: the fake half
/// of D's batch and G's batch are drawn for the same classes, so both
/// follow the data's class frequencies.
///
/// The losses are BCE or, with `GanLoss::Hinge`, the hinge pair. With
/// spectral normalisation, each D forward pass starts with a power-iteration
/// step per kernel, and D's weight gradients end with its backward.
#[allow(clippy::too_many_arguments)]
fn record_step(
    gpu: &Gpu,
    cfg: &TrainConfig,
    shape: &ModelShape,
    (gen, gen_ema): (&Generator, Option<&Generator>),
    disc: &Discriminator,
    (dataset, labels): (&Tensor, Option<&Tensor>),
    order: &Tensor,
    counter: &Tensor,
    metrics: &Tensor,
) -> Result<Program> {
    let b = cfg.batch_size;
    let (h, w, c, image_len) = (shape.height, shape.width, shape.channels, shape.image_len());
    let seed = gpu_seed(cfg.seed);
    let rng = |salt| RngSource {
        seed,
        salt,
        counter,
    };
    let gen_ws = gen.workspace(gpu, b, true)?;
    let disc_ws_d = disc.workspace(gpu, 2 * b)?;
    let disc_ws_g = disc.workspace(gpu, b)?;
    let x_d = gpu.zeros("discriminator input (fake, real)", &[2 * b, h, w, c])?;
    let x_g = gpu.zeros("generated images", &[b, h, w, c])?;
    let real = 1.0 - cfg.label_smoothing;
    let labels_d: Vec<f32> = (0..2 * b).map(|i| if i < b { 0.0 } else { real }).collect();
    let labels_d = gpu.upload("labels fake/real", &[2 * b, 1], &labels_d)?;
    let labels_g = gpu.upload("labels real", &[b, 1], &vec![1.0f32; b])?;
    let d_logits_d = gpu.zeros("d logits grad (D step)", &[2 * b, 1])?;
    let d_logits_g = gpu.zeros("d logits grad (G step)", &[b, 1])?;

    let fake_mode = match cfg.fake_batch_norm {
        FakeBatchNorm::Batch => BnMode::Train {
            update_running: false,
        },
        FakeBatchNorm::Running => BnMode::Inference,
    };
    let mut p = Program::new();
    if let Some(labels) = labels {
        let gather = |p: &mut Program, out: &Option<Tensor>, offset: usize| match out {
            Some(out) => data::gather_labels(gpu, p, labels, order, counter, b, out, offset),
            None => Err(Error::Config(
                "a conditional run's networks take classes".into(),
            )),
        };
        p.layer("data", |p| {
            gather(p, &gen_ws.labels, 0)?;
            gather(p, &disc_ws_d.labels, 0)?;
            gather(p, &disc_ws_d.labels, b)?;
            gather(p, &disc_ws_g.labels, 0)
        })?;
    }
    let noise = |p: &mut Program, salt| {
        p.layer("noise", |p| {
            random::normal(gpu, p, rng(salt), &gen_ws.z, 0.0, 1.0)
        })
    };
    noise(&mut p, salt::NOISE_D_STEP)?;
    gen.record_forward(
        gpu,
        &mut p,
        &gen_ws,
        fake_mode,
        &x_d.view(0, &[b, h, w, c])?,
    )?;
    p.layer("data", |p| {
        data::gather_images(
            gpu,
            p,
            dataset,
            order,
            counter,
            image_len,
            b,
            &x_d,
            b * image_len,
        )
    })?;
    let (d_loss, g_loss) = match cfg.loss {
        GanLoss::Bce => (BinaryKind::Bce, BinaryKind::Bce),
        GanLoss::Hinge => (BinaryKind::HingeDiscriminator, BinaryKind::HingeGenerator),
    };
    disc.record_forward(gpu, &mut p, &disc_ws_d, &x_d, |i| {
        rng(salt::dropout_d_step(i))
    })?;
    p.layer("loss", |p| {
        loss::binary_loss(
            gpu,
            p,
            d_loss,
            &disc_ws_d.logits,
            &labels_d,
            &d_logits_d,
            metrics,
            METRICS_D_STEP,
        )
    })?;
    disc.record_backward(
        gpu,
        &mut p,
        &disc_ws_d,
        &x_d,
        &d_logits_d,
        DiscGrads::Weights,
    )?;
    let dp = &disc.params;
    p.layer("D optimizer", |p| {
        optim::step(
            gpu,
            p,
            &cfg.disc_optimizer(),
            &dp.values,
            &dp.grads,
            &dp.state,
            counter,
        )
    })?;

    noise(&mut p, salt::NOISE_G_STEP)?;
    gen.record_forward(
        gpu,
        &mut p,
        &gen_ws,
        BnMode::Train {
            update_running: true,
        },
        &x_g,
    )?;
    disc.record_forward(gpu, &mut p, &disc_ws_g, &x_g, |i| {
        rng(salt::dropout_g_step(i))
    })?;
    p.layer("loss", |p| {
        loss::binary_loss(
            gpu,
            p,
            g_loss,
            &disc_ws_g.logits,
            &labels_g,
            &d_logits_g,
            metrics,
            METRICS_G_STEP,
        )
    })?;
    disc.record_backward(gpu, &mut p, &disc_ws_g, &x_g, &d_logits_g, {
        let (pre, d_pre) = gen.tanh_input(&gen_ws);
        DiscGrads::InputThroughTanh { pre, d_pre }
    })?;
    gen.record_backward(gpu, &mut p, &gen_ws)?;
    let gp = &gen.params;
    p.layer("G optimizer", |p| {
        optim::step(
            gpu,
            p,
            &cfg.optimizer,
            &gp.values,
            &gp.grads,
            &gp.state,
            counter,
        )
    })?;
    if let (Some(average), Some(decay)) = (gen_ema, cfg.ema) {
        p.layer("G moving average", |p| {
            record_average(gpu, p, gen, average, ema::Decay::WarmUp(decay), counter)
        })?;
    }
    Ok(p)
}

/// Records `average`'s update towards `gen`: its weights and its running
/// statistics.
fn record_average(
    gpu: &Gpu,
    p: &mut Program,
    gen: &Generator,
    average: &Generator,
    decay: ema::Decay,
    counter: &Tensor,
) -> Result<()> {
    ema::update(
        gpu,
        p,
        decay,
        &gen.params.values,
        &average.params.values,
        counter,
    )?;
    ema::update(
        gpu,
        p,
        decay,
        &gen.running.values,
        &average.running.values,
        counter,
    )
}
