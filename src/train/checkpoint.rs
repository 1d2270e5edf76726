//! Checkpoints in safetensors: every weight, the batch-norm running
//! statistics, the optimiser state, the position in training and the
//! config. All randomness is counter-based (seed, salt, step) and epoch
//! orders are seeded per epoch, so this is the whole RNG state too.
//! Files are written atomically: a temporary file, fsync, rename.

use super::{Position, TrainConfig, Trainer};
use crate::error::{io_err, Error, Result};
use crate::gpu::{Gpu, Tensor};
use crate::model::generator::Generator;
use crate::model::params::{NamedTensor, ParamSet};
use crate::model::{names, ModelShape};
use safetensors::{Dtype, SafeTensors};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

const FORMAT: &str = "gan-gpu checkpoint 1";
/// Metadata key of the CRC-32 of every tensor's bytes, checked on load so
/// that a damaged file names the damaged tensor instead of loading.
const CHECKSUMS: &str = "crc32";
/// Metadata key of a conditional model's class names (a JSON list).
const CLASSES: &str = "classes";

/// Which of a checkpoint's generators to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeneratorWeights {
    /// The weights the optimiser trained.
    Trained,
    /// Their moving average (`--ema`).
    Average,
}

pub struct Checkpoint {
    pub config: TrainConfig,
    pub shape: ModelShape,
    /// A conditional model's class names, in label order; empty for an
    /// unconditional one.
    pub classes: Vec<String>,
    pub pos: Position,
    pub tensors: HashMap<String, (Vec<usize>, Vec<f32>)>,
}

fn ckpt_err(path: &Path, msg: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

async fn collect(
    gpu: &Gpu,
    prefix: &str,
    set: &ParamSet,
    buffer: &Tensor,
    out: &mut Vec<NamedTensor>,
) -> Result<()> {
    for (name, shape, values) in set.download(gpu, buffer).await? {
        out.push((format!("{prefix}{name}"), shape, values));
    }
    Ok(())
}

/// Every tensor of the trainer as (name, shape, values).
pub async fn trainer_tensors(t: &Trainer) -> Result<Vec<NamedTensor>> {
    let gpu = &t.gpu;
    let mut out = Vec::new();
    for (net, set) in t.nets() {
        collect(gpu, &names::param_prefix(net), set, &set.values, &mut out).await?;
    }
    let running = &t.gen.running;
    collect(
        gpu,
        &names::param_prefix(names::GENERATOR),
        running,
        &running.values,
        &mut out,
    )
    .await?;
    if let Some(sn) = &t.disc.spectral {
        let prefix = names::param_prefix(names::DISCRIMINATOR);
        collect(gpu, &prefix, &sn.vectors, &sn.vectors.values, &mut out).await?;
    }
    if let Some(average) = &t.gen_ema {
        let prefix = names::param_prefix(names::GENERATOR_EMA);
        for set in [&average.params, &average.running] {
            collect(gpu, &prefix, set, &set.values, &mut out).await?;
        }
    }
    for (net, set) in t.nets() {
        for (k, buffer) in set.state.iter().enumerate() {
            collect(gpu, &names::optimizer_prefix(net, k), set, buffer, &mut out).await?;
        }
    }
    Ok(out)
}

/// Each tensor's values as little-endian bytes.
pub fn f32_bytes(tensors: &[NamedTensor]) -> Vec<Vec<u8>> {
    tensors
        .iter()
        .map(|(_, _, v)| bytemuck::cast_slice(v).to_vec())
        .collect()
}

/// safetensors views of `tensors` over their `bytes` (from [`f32_bytes`]);
/// `err` names a failure.
pub fn tensor_views<'a>(
    tensors: &[NamedTensor],
    bytes: &'a [Vec<u8>],
    err: impl Fn(String) -> Error,
) -> Result<Vec<(String, safetensors::tensor::TensorView<'a>)>> {
    tensors
        .iter()
        .zip(bytes)
        .map(|((n, s, _), b)| {
            safetensors::tensor::TensorView::new(Dtype::F32, s.clone(), b)
                .map(|v| (n.clone(), v))
                .map_err(|e| err(format!("tensor {n}: {e}")))
        })
        .collect()
}

/// Writes `path` atomically; an existing checkpoint stays whole until the
/// new one is complete on disk. A checkpoint is never written with a
/// non-finite value in it, so the previous one stays the last good one.
pub async fn save(t: &Trainer, path: &Path) -> Result<()> {
    let data = to_bytes(t, path).await?;
    write_atomically(path, &data)
}

/// The trainer as a checkpoint file's bytes; `path` is where they will go,
/// named in errors. Fails if any value is not finite.
pub async fn to_bytes(t: &Trainer, path: &Path) -> Result<Vec<u8>> {
    let tensors = trainer_tensors(t).await?;
    for (name, _, values) in &tensors {
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(Error::Diverged(format!(
                "tensor {name} holds {v} at step {}; training diverged (try a smaller --lr). {} was not overwritten",
                t.pos.global_step,
                path.display()
            )));
        }
    }
    let bytes = f32_bytes(&tensors);
    let views = tensor_views(&tensors, &bytes, |e| ckpt_err(path, e))?;
    let checksums: BTreeMap<&str, u32> = tensors
        .iter()
        .zip(&bytes)
        .map(|((n, _, _), b)| (n.as_str(), crc32fast::hash(b)))
        .collect();
    let mut meta = HashMap::from([
        ("format".to_string(), FORMAT.to_string()),
        (
            CHECKSUMS.to_string(),
            serde_json::to_string(&checksums).expect("checksums serialise"),
        ),
        (
            "config".to_string(),
            serde_json::to_string(&t.cfg).expect("config serialises"),
        ),
        (
            "position".to_string(),
            serde_json::to_string(&t.pos).expect("position serialises"),
        ),
        (
            "shape".to_string(),
            serde_json::to_string(&t.shape).expect("shape serialises"),
        ),
    ]);
    if let Some(c) = &t.classes {
        meta.insert(
            CLASSES.to_string(),
            serde_json::to_string(&c.names).expect("names serialise"),
        );
    }
    safetensors::serialize(views, Some(meta)).map_err(|e| ckpt_err(path, e.to_string()))
}

/// The temporary file `write_atomically` writes `path` through:
/// `.NAME.tmp` beside it.
pub fn temp_path(path: &Path) -> std::path::PathBuf {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("checkpoint");
    path.with_file_name(format!(".{name}.tmp"))
}

/// Removes the temporary files that `write_atomically` would use for
/// `names` in `dir` (a killed run's leftovers); returns how many.
pub fn remove_stale_temp_files(dir: &Path, names: &[&str]) -> usize {
    names
        .iter()
        .filter(|n| std::fs::remove_file(temp_path(&dir.join(n))).is_ok())
        .count()
}

/// Writes through a temporary file in the same directory, fsyncs it, then
/// renames it over `path` and fsyncs the directory.
pub fn write_atomically(path: &Path, data: &[u8]) -> Result<()> {
    write_atomically_via(path, &temp_path(path), data)
}

/// [`write_atomically`] through the temporary file `tmp` (in `path`'s
/// directory): a file that several processes may write at once needs one
/// per process, so that none renames another's half-written data.
pub fn write_atomically_via(path: &Path, tmp: &Path, data: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let written = std::fs::File::create(tmp)
        .and_then(|mut f| {
            f.write_all(data)?;
            f.sync_all()
        })
        .map_err(io_err(tmp))
        .and_then(|()| std::fs::rename(tmp, path).map_err(io_err(path)));
    if let Err(e) = written {
        // A full disk or a failed rename leaves no partial file behind.
        let _ = std::fs::remove_file(tmp);
        return Err(e);
    }
    if let Ok(d) = std::fs::File::open(dir) {
        // Makes the rename itself durable; not every platform can sync a directory.
        let _ = d.sync_all();
    }
    Ok(())
}

pub fn load(path: &Path) -> Result<Checkpoint> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    from_bytes(path, &bytes)
}

/// [`load`] on bytes already in memory; `path` only names them in errors.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Checkpoint> {
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| ckpt_err(path, format!("not a safetensors file: {e}")))?;
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| ckpt_err(path, e.to_string()))?;
    let meta = meta.metadata().clone().unwrap_or_default();
    if meta.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(ckpt_err(
            path,
            format!("not a gan-gpu checkpoint (format {:?})", meta.get("format")),
        ));
    }
    let field = |k: &str| {
        meta.get(k)
            .ok_or_else(|| ckpt_err(path, format!("metadata has no {k}")))
    };
    let config: TrainConfig = serde_json::from_str(field("config")?)
        .map_err(|e| ckpt_err(path, format!("bad config: {e}")))?;
    config
        .validate()
        .map_err(|e| ckpt_err(path, format!("bad config: {e}")))?;
    let checksums: BTreeMap<String, u32> = serde_json::from_str(field(CHECKSUMS)?)
        .map_err(|e| ckpt_err(path, format!("bad checksums: {e}")))?;
    let pos: Position = serde_json::from_str(field("position")?)
        .map_err(|e| ckpt_err(path, format!("bad position: {e}")))?;
    let shape: ModelShape = serde_json::from_str(field("shape")?)
        .map_err(|e| ckpt_err(path, format!("bad shape: {e}")))?;
    let classes: Vec<String> = match meta.get(CLASSES) {
        Some(c) => {
            serde_json::from_str(c).map_err(|e| ckpt_err(path, format!("bad class names: {e}")))?
        }
        None => Vec::new(),
    };
    if classes.len() != shape.classes || shape.is_conditional() != config.conditional {
        return Err(ckpt_err(
            path,
            format!(
                "its shape has {} classes and its metadata {} class names (conditional: {})",
                shape.classes,
                classes.len(),
                config.conditional
            ),
        ));
    }
    let mut tensors = HashMap::new();
    for name in st.names() {
        let view = st.tensor(name).map_err(|e| ckpt_err(path, e.to_string()))?;
        if view.dtype() != Dtype::F32 {
            return Err(ckpt_err(
                path,
                format!("tensor {name} is {:?}, expected F32", view.dtype()),
            ));
        }
        let Some(&crc) = checksums.get(name) else {
            return Err(ckpt_err(path, format!("tensor {name} has no checksum")));
        };
        if crc32fast::hash(view.data()) != crc {
            return Err(ckpt_err(
                path,
                format!("tensor {name} is damaged (its CRC-32 does not match)"),
            ));
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(ckpt_err(
                path,
                format!(
                    "tensor {name} holds a non-finite value ({}) at {i}",
                    values[i]
                ),
            ));
        }
        tensors.insert(name.to_string(), (view.shape().to_vec(), values));
    }
    if let Some(missing) = checksums.keys().find(|k| !tensors.contains_key(*k)) {
        return Err(ckpt_err(path, format!("tensor {missing} is missing")));
    }
    Ok(Checkpoint {
        config,
        shape,
        classes,
        pos,
        tensors,
    })
}

impl Checkpoint {
    fn get(&self, path: &Path, name: &str, shape: &[usize]) -> Result<&[f32]> {
        let (s, v) = self
            .tensors
            .get(name)
            .ok_or_else(|| ckpt_err(path, format!("missing tensor {name}")))?;
        if s != shape {
            return Err(ckpt_err(
                path,
                format!("tensor {name} has shape {s:?}, the model needs {shape:?}"),
            ));
        }
        Ok(v)
    }

    fn restore_set(
        &self,
        path: &Path,
        gpu: &Gpu,
        prefix: &str,
        set: &ParamSet,
        buffer: &Tensor,
    ) -> Result<()> {
        for spec in &set.specs {
            let v = self.get(path, &format!("{prefix}{}", spec.name), &spec.shape)?;
            set.upload(gpu, buffer, spec.name, v)?;
        }
        Ok(())
    }

    /// Loads the weights and running statistics of the generator `which`
    /// into `gen`.
    pub fn restore_generator(
        &self,
        path: &Path,
        gpu: &Gpu,
        gen: &Generator,
        which: GeneratorWeights,
    ) -> Result<()> {
        let net = match which {
            GeneratorWeights::Trained => names::GENERATOR,
            GeneratorWeights::Average if self.config.ema.is_none() => {
                return Err(ckpt_err(
                    path,
                    "it has no moving-average generator (it was trained without --ema)",
                ))
            }
            GeneratorWeights::Average => names::GENERATOR_EMA,
        };
        let prefix = names::param_prefix(net);
        self.restore_set(path, gpu, &prefix, &gen.params, &gen.params.values)?;
        self.restore_set(path, gpu, &prefix, &gen.running, &gen.running.values)?;
        Ok(())
    }

    /// The generator that samples from this checkpoint draw with by
    /// default: the moving average where it has one.
    pub fn sampling_weights(&self) -> GeneratorWeights {
        match self.config.ema {
            Some(_) => GeneratorWeights::Average,
            None => GeneratorWeights::Trained,
        }
    }

    /// Loads everything into a trainer built from this checkpoint's config.
    /// The position must lie inside the trainer's epochs: a checkpoint
    /// resumed onto fewer images than it was trained on is refused.
    pub fn restore(&self, path: &Path, t: &mut Trainer) -> Result<()> {
        let names = t.classes.as_ref().map(|c| &c.names[..]).unwrap_or(&[]);
        if names != self.classes {
            return Err(ckpt_err(
                path,
                format!(
                    "it was trained on the classes [{}], but the data's labels give [{}]",
                    self.classes.join(", "),
                    names.join(", ")
                ),
            ));
        }
        if self.pos.step_in_epoch >= t.steps_per_epoch {
            return Err(ckpt_err(
                path,
                format!(
                    "it stopped at step {} of epoch {}, but {} images at batch {} make only {} steps per epoch; resume with the data (and --limit) it was trained on",
                    self.pos.step_in_epoch,
                    self.pos.epoch + 1,
                    t.images.count,
                    t.cfg.batch_size,
                    t.steps_per_epoch
                ),
            ));
        }
        self.restore_generator(path, &t.gpu, &t.gen, GeneratorWeights::Trained)?;
        if let Some(average) = &t.gen_ema {
            self.restore_generator(path, &t.gpu, average, GeneratorWeights::Average)?;
        }
        let prefix = names::param_prefix(names::DISCRIMINATOR);
        let disc = &t.disc.params;
        self.restore_set(path, &t.gpu, &prefix, disc, &disc.values)?;
        if let Some(sn) = &t.disc.spectral {
            let vectors = &sn.vectors;
            self.restore_set(path, &t.gpu, &prefix, vectors, &vectors.values)?;
        }
        for (net, set) in t.nets() {
            for (k, buffer) in set.state.iter().enumerate() {
                let prefix = names::optimizer_prefix(net, k);
                self.restore_set(path, &t.gpu, &prefix, set, buffer)?;
            }
        }
        t.pos = self.pos;
        Ok(())
    }
}
