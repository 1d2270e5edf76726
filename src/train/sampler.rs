//! The generator in inference mode on seeded noise: the per-epoch grid,
//! `gan-gpu sample`, `gan-gpu interpolate` and the browser's live grid.

use crate::error::{Error, Result};
use crate::gpu::{Gpu, Program, Tensor};
use crate::model::generator::{BnMode, Generator};
use crate::model::salt;
use crate::ops::counter::{RngSource, StepCounter};
use crate::ops::random;

/// Images in [-1, 1] ([n, h, w, c] row-major, c = 1 grey or 3 RGB) as a
/// grid of `cols` columns, each pixel drawn as a `scale`×`scale` block,
/// with a 2-pixel gap so the tiles are easy to tell apart.
pub fn grid_image(
    images: &[f32],
    n: usize,
    (h, w, c): (usize, usize, usize),
    cols: usize,
    scale: usize,
) -> image::DynamicImage {
    let rows = n.div_ceil(cols);
    let gap = 2;
    let (tw, th) = (w * scale + gap, h * scale + gap);
    let (width, height) = (cols * tw + gap, rows * th + gap);
    let mut bytes = vec![40u8; width * height * c];
    for i in 0..n {
        let (ox, oy) = (gap + (i % cols) * tw, gap + (i / cols) * th);
        for y in 0..h * scale {
            for x in 0..w * scale {
                let src = ((i * h + y / scale) * w + x / scale) * c;
                let dst = ((oy + y) * width + ox + x) * c;
                for k in 0..c {
                    let v = images[src + k].clamp(-1.0, 1.0);
                    bytes[dst + k] = ((v + 1.0) * 127.5).round() as u8;
                }
            }
        }
    }
    let (width, height) = (width as u32, height as u32);
    match c {
        1 => image::GrayImage::from_raw(width, height, bytes).map(image::DynamicImage::ImageLuma8),
        _ => image::RgbImage::from_raw(width, height, bytes).map(image::DynamicImage::ImageRgb8),
    }
    .expect("the buffer holds the whole grid")
}

/// Images `sample` draws per pass of the generator: larger requests are
/// drawn in chunks, so any count fits the device's binding limits.
pub const SAMPLE_CHUNK: usize = 256;

/// The generator in inference mode on seeded noise, `n` images a pass.
/// Pass k draws its noise with step counter k, so the images of a request
/// do not depend on how it is chunked into passes of `n`.
pub struct Sampler {
    noise: Program,
    program: Program,
    counter: Tensor,
    out: Tensor,
    /// A conditional generator's class input, and the classes of a
    /// request's images: image i draws `pattern[i mod its length]`.
    classes: Option<(Tensor, Vec<usize>)>,
    pub n: usize,
}

/// Checks `classes` against `gen`: none for an unconditional generator,
/// each below the class count for a conditional one.
fn check_classes(gen: &Generator, classes: &[usize]) -> Result<()> {
    let count = gen.shape.classes;
    if count == 0 && !classes.is_empty() {
        return Err(Error::Config(
            "this generator is unconditional (trained without --conditional): it draws no chosen class".into(),
        ));
    }
    if count > 0 && classes.is_empty() {
        return Err(Error::Config(
            "a conditional generator needs a class for every image".into(),
        ));
    }
    match classes.iter().find(|&&c| c >= count) {
        Some(c) => Err(Error::Config(format!(
            "class {c} is not one of the generator's {count} classes"
        ))),
        None => Ok(()),
    }
}

impl Sampler {
    /// A conditional generator draws its classes in turn: image i of a
    /// request is of class i mod the class count.
    pub fn new(gpu: &Gpu, gen: &Generator, n: usize, seed: u32) -> Result<Sampler> {
        let every: Vec<usize> = (0..gen.shape.classes).collect();
        Sampler::for_classes(gpu, gen, n, seed, &every)
    }

    /// Image i of a request draws class `classes[i mod classes.len()]`;
    /// an unconditional generator takes no classes.
    pub fn for_classes(
        gpu: &Gpu,
        gen: &Generator,
        n: usize,
        seed: u32,
        classes: &[usize],
    ) -> Result<Sampler> {
        check_classes(gen, classes)?;
        let ws = gen.workspace(gpu, n, false)?;
        let counter = StepCounter::default().upload(gpu, "sample counter")?;
        let mut noise = Program::new();
        random::normal(
            gpu,
            &mut noise,
            RngSource {
                seed,
                salt: salt::SAMPLE_NOISE,
                counter: &counter,
            },
            &ws.z,
            0.0,
            1.0,
        )?;
        let s = &gen.shape;
        let out = gpu.zeros("samples", &[n, s.height, s.width, s.channels])?;
        let mut program = Program::new();
        gen.record_forward(gpu, &mut program, &ws, BnMode::Inference, &out)?;
        // The recorded bind groups keep the workspace's buffers alive.
        Ok(Sampler {
            noise,
            program,
            counter,
            out,
            classes: ws.labels.map(|labels| (labels, classes.to_vec())),
            n,
        })
    }

    /// Pass `pass`'s `n` images, [n, h, w] in [-1, 1].
    pub async fn images(&self, gpu: &Gpu, pass: u32) -> Result<Vec<f32>> {
        StepCounter {
            step: pass,
            batch_start: 0,
        }
        .write(gpu, &self.counter)?;
        if let Some((labels, pattern)) = &self.classes {
            let first = pass as usize * self.n;
            let pass_labels: Vec<f32> = (first..first + self.n)
                .map(|i| pattern[i % pattern.len()] as f32)
                .collect();
            gpu.write(labels, &pass_labels)?;
        }
        gpu.run(&self.noise)?;
        gpu.run(&self.program)?;
        gpu.download(&self.out).await
    }

    /// `n` images ([n, h, w]) in passes of this sampler's size.
    pub async fn draw(&self, gpu: &Gpu, n: usize) -> Result<Vec<f32>> {
        let mut images = Vec::with_capacity(n.div_ceil(self.n) * self.out.len());
        for pass in 0..n.div_ceil(self.n) {
            images.extend(self.images(gpu, pass as u32).await?);
        }
        images.truncate(n * self.out.len() / self.n);
        Ok(images)
    }
}

/// A conditional generator's class code for one image: (1 - t)·one-hot(from)
/// + t·one-hot(to).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClassMix {
    pub from: usize,
    pub to: usize,
    pub t: f32,
}

impl ClassMix {
    /// Class `c` alone.
    pub fn of(c: usize) -> ClassMix {
        ClassMix {
            from: c,
            to: c,
            t: 0.0,
        }
    }
}

/// The generator in inference mode on given noise `z` ([n, latent]) and,
/// for a conditional generator, class codes (one per vector), in passes of
/// at most [`SAMPLE_CHUNK`]; returns [n, h, w]. In inference mode each
/// image depends on its own noise and class code only, so the passes'
/// padding changes nothing.
pub async fn generate(
    gpu: &Gpu,
    gen: &Generator,
    z: &[f32],
    mixes: &[ClassMix],
) -> Result<Vec<f32>> {
    let latent = gen.shape.latent;
    if z.is_empty() || !z.len().is_multiple_of(latent) {
        return Err(Error::Config(format!(
            "{} noise values are not a whole number of vectors of {latent}",
            z.len()
        )));
    }
    let n = z.len() / latent;
    let classes: Vec<usize> = mixes.iter().flat_map(|m| [m.from, m.to]).collect();
    check_classes(gen, &classes)?;
    if gen.shape.is_conditional() && mixes.len() != n {
        return Err(Error::Config(format!(
            "{} class codes for {n} noise vectors",
            mixes.len()
        )));
    }
    let chunk = n.min(SAMPLE_CHUNK);
    let ws = gen.morph_workspace(gpu, chunk)?;
    let s = &gen.shape;
    let out = gpu.zeros("generated", &[chunk, s.height, s.width, s.channels])?;
    let mut program = Program::new();
    gen.record_forward(gpu, &mut program, &ws, BnMode::Inference, &out)?;
    let mut images = Vec::with_capacity(n * s.pixels());
    for (k, part) in z.chunks(chunk * latent).enumerate() {
        let mut padded = part.to_vec();
        padded.resize(chunk * latent, 0.0);
        gpu.write(&ws.z, &padded)?;
        if let (Some(labels), Some(morph)) = (&ws.labels, &ws.morph) {
            let mut pass = mixes[k * chunk..].to_vec();
            pass.truncate(chunk);
            pass.resize(chunk, ClassMix::of(0));
            let column = |f: fn(&ClassMix) -> f32| pass.iter().map(f).collect::<Vec<f32>>();
            gpu.write(labels, &column(|m| m.from as f32))?;
            gpu.write(&morph.to, &column(|m| m.to as f32))?;
            gpu.write(&morph.weight_from, &column(|m| 1.0 - m.t))?;
            gpu.write(&morph.weight_to, &column(|m| m.t))?;
        }
        gpu.run(&program)?;
        let pass: Vec<f32> = gpu.download(&out).await?;
        images.extend_from_slice(&pass[..part.len() / latent * s.pixels()]);
    }
    Ok(images)
}
