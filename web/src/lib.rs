//! gan-gpu in a browser tab. The page (`web/index.html`, `web/app.js`)
//! drives the library's own [`Trainer`], step program, sampler and
//! checkpoint format through this small API; nothing here re-implements
//! them. Every method that touches the GPU returns a promise, because a
//! browser cannot block on the device.
#![cfg(target_arch = "wasm32")]

use gan_gpu::data::{images_from_bytes, Images};
use gan_gpu::gpu::{describe_adapter, AdapterChoice, Gpu};
use gan_gpu::model::generator::Generator;
use gan_gpu::model::{gpu_seed, salt, ModelShape};
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::sampler::{grid_image, Sampler};
use gan_gpu::train::{checkpoint, defaults, TrainConfig, Trainer};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// Images in the live grid (8×8), drawn with the same noise as the native
/// per-epoch grid of a run with the same seed.
const GRID: usize = 64;

/// The name a downloaded checkpoint gets; errors name it.
const CHECKPOINT: &str = "checkpoint.safetensors";

enum State {
    /// A device and nothing on it yet.
    Idle(Gpu),
    /// A run, new or restored from a checkpoint; paused between calls.
    Training {
        trainer: Box<Trainer>,
        sampler: Sampler,
    },
    /// No device: a failure took it and none could be reopened (the page
    /// must be reloaded); the message says why.
    Lost(String),
    /// A checkpoint's generator, loaded before any images were.
    Sampling {
        gpu: Gpu,
        shape: ModelShape,
        sampler: Sampler,
    },
}

impl State {
    fn into_gpu(self) -> Result<Gpu, String> {
        match self {
            State::Idle(gpu) | State::Sampling { gpu, .. } => Ok(gpu),
            State::Training { trainer, .. } => Ok(trainer.into_gpu()),
            State::Lost(why) => Err(why),
        }
    }
}

struct Inner {
    /// `None` only while a method moves the device between states.
    state: Option<State>,
    images: Option<Images>,
}

/// The page's handle on the device, the data and the run.
#[wasm_bindgen]
pub struct App {
    inner: Rc<RefCell<Inner>>,
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsError::new(&e.to_string()).into()
}

fn busy() -> JsValue {
    js_err("the previous call has not finished")
}

/// Runs `f` as a promise with the state taken out of `inner` for the
/// length of the call, and puts back the state `f` leaves. Calls must not
/// overlap (the page awaits each one); one that does finds no state and is
/// refused rather than interleaved.
fn with_state<F>(inner: &Rc<RefCell<Inner>>, f: F) -> js_sys::Promise
where
    F: AsyncFnOnce(State, Option<Images>) -> (State, Result<JsValue, JsValue>) + 'static,
{
    let inner = inner.clone();
    future_to_promise(async move {
        let (state, images) = {
            let mut inner = inner.borrow_mut();
            (inner.state.take().ok_or_else(busy)?, inner.images.clone())
        };
        let (state, out) = f(state, images).await;
        inner.borrow_mut().state = Some(state);
        out
    })
}

fn grid_sampler(gpu: &Gpu, gen: &Generator, seed: u64) -> gan_gpu::Result<Sampler> {
    Sampler::new(gpu, gen, GRID, gpu_seed(seed) ^ salt::SAMPLE_GRID_SEED_MIX)
}

/// The grid as `{ width, height, rgba }` for a canvas's `ImageData`.
async fn draw_grid(gpu: &Gpu, shape: &ModelShape, sampler: &Sampler) -> Result<JsValue, JsValue> {
    let images = sampler.images(gpu, 0).await.map_err(js_err)?;
    let hwc = (shape.height, shape.width, shape.channels);
    let grid = grid_image(&images, GRID, hwc, 8, 1).to_rgba8();
    let out = js_sys::Object::new();
    let set = |k: &str, v: JsValue| js_sys::Reflect::set(&out, &k.into(), &v);
    set("width", grid.width().into())?;
    set("height", grid.height().into())?;
    set(
        "rgba",
        js_sys::Uint8ClampedArray::from(grid.as_raw().as_slice()).into(),
    )?;
    Ok(out.into())
}

#[wasm_bindgen]
impl App {
    /// Opens the browser's WebGPU adapter with its own limits.
    pub async fn open() -> Result<App, JsValue> {
        let gpu = Gpu::new(&AdapterChoice::default()).await.map_err(js_err)?;
        Ok(App {
            inner: Rc::new(RefCell::new(Inner {
                state: Some(State::Idle(gpu)),
                images: None,
            })),
        })
    }

    /// The adapter and the limits that bound a run, as JSON.
    pub fn adapter(&self) -> Result<String, JsValue> {
        let inner = self.inner.try_borrow().map_err(|_| busy())?;
        let gpu = match inner.state.as_ref() {
            Some(State::Idle(gpu)) | Some(State::Sampling { gpu, .. }) => gpu,
            Some(State::Lost(why)) => return Err(js_err(why)),
            Some(State::Training { trainer, .. }) => &trainer.gpu,
            None => return Err(busy()),
        };
        let l = &gpu.limits;
        Ok(serde_json::json!({
            "adapter": describe_adapter(&gpu.info),
            "matrix_kernels": if gpu.subgroup_matmul { "subgroup" } else { "vec4 and scalar" },
            "why": gpu.subgroup_reason,
            "max_storage_buffer_binding_size": l.max_storage_buffer_binding_size,
            "max_buffer_size": l.max_buffer_size,
            "max_compute_invocations_per_workgroup": l.max_compute_invocations_per_workgroup,
            "max_compute_workgroups_per_dimension": l.max_compute_workgroups_per_dimension,
            "subgroup_lanes": [gpu.info.subgroup_min_size, gpu.info.subgroup_max_size],
        })
        .to_string())
    }

    /// Decodes an IDX image file (gzipped or not) fetched by the page;
    /// returns the number of images.
    pub fn load_images(&self, name: &str, bytes: &[u8]) -> Result<usize, JsValue> {
        let images = images_from_bytes(Path::new(name), bytes).map_err(js_err)?;
        let count = images.count;
        self.inner.try_borrow_mut().map_err(|_| busy())?.images = Some(images);
        Ok(count)
    }

    /// A new run from fresh weights: `optimizer` is "adam" or "rmsprop"
    /// with the CLI's default learning rates; `limit` keeps the first
    /// images only (as `--limit`).
    pub fn start(
        &self,
        batch_size: usize,
        optimizer: String,
        seed: u64,
        limit: Option<usize>,
    ) -> js_sys::Promise {
        with_state(&self.inner, async move |state, images| {
            let optimizer = match optimizer.as_str() {
                "adam" => Optimizer::adam(defaults::ADAM_LR),
                "rmsprop" => Optimizer::rmsprop(defaults::RMSPROP_LR),
                other => return (state, Err(js_err(format!("unknown optimiser {other:?}")))),
            };
            let Some(mut images) = images else {
                return (state, Err(js_err("no training images are loaded")));
            };
            let cfg = TrainConfig {
                epochs: defaults::EPOCHS,
                batch_size,
                latent_dim: defaults::LATENT_DIM,
                optimizer,
                seed,
                // Where `gan-gpu train --resume` finds the same data natively.
                data: "assets/fashion-mnist".into(),
                limit,
                log_every: defaults::LOG_EVERY,
                fake_batch_norm: Default::default(),
                label_smoothing: 0.0,
                disc_lr: None,
                loss: Default::default(),
                ema: None,
                spectral_norm: false,
                movie_every: None,
                conditional: false,
                image_size: None,
                channels: None,
            };
            if let Some(n) = limit {
                images.truncate(n);
            }
            let gpu = match state.into_gpu() {
                Ok(gpu) => gpu,
                Err(why) => return (State::Lost(why.clone()), Err(js_err(why))),
            };
            settle(training_state(gpu, cfg, images, None), JsValue::UNDEFINED).await
        })
    }

    /// Runs `steps` training steps, then reads the metrics back: a promise
    /// of `{ d_loss, g_loss, d_accuracy, d_real, d_fake, step, epoch }`.
    pub fn train(&self, steps: usize) -> js_sys::Promise {
        with_state(&self.inner, async move |mut state, _| {
            let out = match &mut state {
                State::Training { trainer, .. } => train_steps(trainer, steps).await,
                State::Lost(why) => Err(js_err(why)),
                _ => Err(js_err("no run is started")),
            };
            (state, out)
        })
    }

    /// The fixed-noise 8×8 grid of the current generator: a promise of
    /// `{ width, height, rgba }`.
    pub fn grid(&self) -> js_sys::Promise {
        with_state(&self.inner, async |state, _| {
            let out = match &state {
                State::Training { trainer, sampler } => {
                    draw_grid(&trainer.gpu, &trainer.shape, sampler).await
                }
                State::Sampling {
                    gpu,
                    shape,
                    sampler,
                } => draw_grid(gpu, shape, sampler).await,
                State::Idle(_) => Err(js_err("start a run or load a checkpoint first")),
                State::Lost(why) => Err(js_err(why)),
            };
            (state, out)
        })
    }

    /// The run as a checkpoint file: a promise of a `Uint8Array` that
    /// native `gan-gpu sample` and `gan-gpu train --resume` accept.
    pub fn checkpoint(&self) -> js_sys::Promise {
        with_state(&self.inner, async |state, _| {
            let out = match &state {
                State::Training { trainer, .. } => {
                    checkpoint::to_bytes(trainer, Path::new(CHECKPOINT))
                        .await
                        .map(|bytes| js_sys::Uint8Array::from(bytes.as_slice()).into())
                        .map_err(js_err)
                }
                State::Lost(why) => Err(js_err(why)),
                _ => Err(js_err("no run to save")),
            };
            (state, out)
        })
    }

    /// Loads a checkpoint (native or the page's own). With images loaded
    /// the run continues from it, as `train --resume` would; without, its
    /// generator is loaded for sampling. A promise of a one-line summary.
    pub fn load_checkpoint(&self, name: String, bytes: Vec<u8>) -> js_sys::Promise {
        with_state(&self.inner, async move |state, images| {
            let path = Path::new(&name);
            let ckpt = match checkpoint::from_bytes(path, &bytes) {
                Ok(c) => c,
                Err(e) => return (state, Err(js_err(e))),
            };
            let summary = format!(
                "{name}: step {}, epoch {}, batch {}, {:?}",
                ckpt.pos.global_step,
                ckpt.pos.epoch + 1,
                ckpt.config.batch_size,
                ckpt.config.optimizer
            );
            let gpu = match state.into_gpu() {
                Ok(gpu) => gpu,
                Err(why) => return (State::Lost(why.clone()), Err(js_err(why))),
            };
            let next = match images {
                Some(mut images) => {
                    if let Some(n) = ckpt.config.limit {
                        images.truncate(n);
                    }
                    training_state(gpu, ckpt.config.clone(), images, Some((path, &ckpt)))
                }
                None => sampling_state(gpu, path, &ckpt),
            };
            settle(next, summary.into()).await
        })
    }
}

/// Runs `steps` steps, then reads the metrics back as JSON.
async fn train_steps(trainer: &mut Trainer, steps: usize) -> Result<JsValue, JsValue> {
    for _ in 0..steps {
        trainer.step().map_err(js_err)?;
    }
    let m = trainer.read_metrics().await.map_err(js_err)?;
    if ![m.d_loss, m.g_loss].iter().all(|v| v.is_finite()) {
        return Err(js_err(format!(
            "training diverged at step {} (D loss {}, G loss {})",
            trainer.pos.global_step, m.d_loss, m.g_loss
        )));
    }
    Ok(serde_json::json!({
        "d_loss": m.d_loss,
        "g_loss": m.g_loss,
        "d_accuracy": m.d_accuracy,
        "d_real": m.d_real,
        "d_fake": m.d_fake,
        "step": trainer.pos.global_step,
        "epoch": trainer.pos.epoch,
        "steps_per_epoch": trainer.steps_per_epoch,
    })
    .to_string()
    .into())
}

/// A trainer for `cfg`, restored from a checkpoint if one is given.
fn training_state(
    gpu: Gpu,
    cfg: TrainConfig,
    images: Images,
    restore: Option<(&Path, &checkpoint::Checkpoint)>,
) -> gan_gpu::Result<State> {
    let seed = cfg.seed;
    let mut trainer = Trainer::new(gpu, cfg, images)?;
    if let Some((path, ckpt)) = restore {
        ckpt.restore(path, &mut trainer)?;
    }
    let sampler = grid_sampler(&trainer.gpu, trainer.sampling_generator(), seed)?;
    Ok(State::Training {
        trainer: Box::new(trainer),
        sampler,
    })
}

/// A checkpoint's generator, ready to sample.
fn sampling_state(gpu: Gpu, path: &Path, ckpt: &checkpoint::Checkpoint) -> gan_gpu::Result<State> {
    let gen = Generator::new(&gpu, ckpt.shape, 0)?;
    ckpt.restore_generator(path, &gpu, &gen, ckpt.sampling_weights())?;
    let sampler = grid_sampler(&gpu, &gen, ckpt.config.seed)?;
    Ok(State::Sampling {
        shape: ckpt.shape,
        gpu,
        sampler,
    })
}

/// The state after a call that replaces it, and the call's result: `next`
/// and `ok`, or on failure a fresh device (the failed state took the old
/// one), so that the page stays usable after an error such as a batch over
/// the adapter's limits.
async fn settle(next: gan_gpu::Result<State>, ok: JsValue) -> (State, Result<JsValue, JsValue>) {
    match next {
        Ok(state) => (state, Ok(ok)),
        Err(e) => match Gpu::new(&AdapterChoice::default()).await {
            Ok(gpu) => (State::Idle(gpu), Err(js_err(e))),
            Err(lost) => {
                let why =
                    format!("{e}; then no device could be reopened ({lost}): reload the page");
                (State::Lost(why.clone()), Err(js_err(why)))
            }
        },
    }
}
