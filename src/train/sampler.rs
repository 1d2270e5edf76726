//! The generator in inference mode on seeded noise: the per-epoch grid,
//! `gan-gpu sample`, `gan-gpu interpolate` and the browser's live grid.

use crate::error::{Error, Result};
use crate::gpu::{Gpu, Program, Tensor};
use crate::model::generator::{BnMode, Generator};
use crate::model::salt;
use crate::ops::counter::{RngSource, StepCounter};
use crate::ops::random;

/// Images in [-1, 1] ([n, h, w] row-major) as a grey grid of `cols`
/// columns, each pixel drawn as a `scale`×`scale` block, with a 2-pixel gap
/// so the tiles are easy to tell apart.
pub fn grid_image(
    images: &[f32],
    n: usize,
    (h, w): (usize, usize),
    cols: usize,
    scale: usize,
) -> image::GrayImage {
    let rows = n.div_ceil(cols);
    let gap = 2;
    let (tw, th) = (w * scale + gap, h * scale + gap);
    let mut img = image::GrayImage::from_pixel(
        (cols * tw + gap) as u32,
        (rows * th + gap) as u32,
        image::Luma([40]),
    );
    for i in 0..n {
        let (ox, oy) = (gap + (i % cols) * tw, gap + (i / cols) * th);
        for y in 0..h * scale {
            for x in 0..w * scale {
                let v = images[i * h * w + (y / scale) * w + x / scale];
                let byte = ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8;
                img.put_pixel((ox + x) as u32, (oy + y) as u32, image::Luma([byte]));
            }
        }
    }
    img
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
    pub n: usize,
}

impl Sampler {
    pub fn new(gpu: &Gpu, gen: &Generator, n: usize, seed: u32) -> Result<Sampler> {
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
        let out = gpu.zeros("samples", &[n, s.height, s.width, 1])?;
        let mut program = Program::new();
        gen.record_forward(gpu, &mut program, &ws, BnMode::Inference, &out)?;
        // The recorded bind groups keep the workspace's buffers alive.
        Ok(Sampler {
            noise,
            program,
            counter,
            out,
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

/// The generator in inference mode on given noise `z` ([n, latent]), in
/// passes of at most [`SAMPLE_CHUNK`]; returns [n, h, w]. In inference mode
/// each image depends on its own noise only, so the passes' padding changes
/// nothing.
pub async fn generate(gpu: &Gpu, gen: &Generator, z: &[f32]) -> Result<Vec<f32>> {
    let latent = gen.shape.latent;
    if z.is_empty() || !z.len().is_multiple_of(latent) {
        return Err(Error::Config(format!(
            "{} noise values are not a whole number of vectors of {latent}",
            z.len()
        )));
    }
    let n = z.len() / latent;
    let chunk = n.min(SAMPLE_CHUNK);
    let ws = gen.workspace(gpu, chunk, false)?;
    let s = &gen.shape;
    let out = gpu.zeros("generated", &[chunk, s.height, s.width, 1])?;
    let mut program = Program::new();
    gen.record_forward(gpu, &mut program, &ws, BnMode::Inference, &out)?;
    let mut images = Vec::with_capacity(n * s.pixels());
    for part in z.chunks(chunk * latent) {
        let mut padded = part.to_vec();
        padded.resize(chunk * latent, 0.0);
        gpu.write(&ws.z, &padded)?;
        gpu.run(&program)?;
        let pass: Vec<f32> = gpu.download(&out).await?;
        images.extend_from_slice(&pass[..part.len() / latent * s.pixels()]);
    }
    Ok(images)
}
