//! `gan-gpu interpolate`: latent walks. Each walk is a spherical
//! interpolation between two seeded noise vectors, drawn through a
//! checkpoint's generator, as a PNG strip (a row per walk) or an animated
//! GIF (the walks side by side, there and back). A conditional generator
//! walks at a fixed class per row (the classes in turn), or with
//! `--from-class`/`--to-class` morphs one class into another at fixed
//! noise.

use super::checkpoint::{self, GeneratorWeights};
use super::output::{self, FRAME_MS};
use super::sampler::{generate, grid_image, ClassMix};
use crate::data::class_index;
use crate::error::{Error, Result};
use crate::gpu::{block_on, AdapterChoice, Gpu};
use crate::model::generator::Generator;
use rand::SeedableRng;
use std::path::Path;

/// The point at `t` ∈ [0, 1] on the great circle from `a` to `b`, with the
/// norms interpolated linearly (Shoemake's slerp; White 2016 for GANs):
///   sin((1-t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b,  cos Ω = â·b̂.
/// Nearly parallel vectors fall back to the straight line.
pub fn slerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let norm = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let cos = (dot / (norm(a) * norm(b)).max(f64::MIN_POSITIVE)).clamp(-1.0, 1.0);
    let omega = cos.acos();
    let t = t as f64;
    let (wa, wb) = if omega.sin().abs() < 1e-6 {
        (1.0 - t, t)
    } else {
        (
            ((1.0 - t) * omega).sin() / omega.sin(),
            (t * omega).sin() / omega.sin(),
        )
    };
    a.iter()
        .zip(b)
        .map(|(x, y)| (wa * *x as f64 + wb * *y as f64) as f32)
        .collect()
}

/// Noise for `rows` walks of `steps` points each ([rows · steps, latent],
/// walk by walk): endpoints drawn from N(0, 1) with `seed`.
pub fn walk_noise(rows: usize, steps: usize, latent: usize, seed: u64) -> Vec<f32> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut normal = || crate::eval::standard_normal(&mut rng);
    let mut z = Vec::with_capacity(rows * steps * latent);
    for _ in 0..rows {
        let a: Vec<f32> = (0..latent).map(|_| normal()).collect();
        let b: Vec<f32> = (0..latent).map(|_| normal()).collect();
        for k in 0..steps {
            // One step is the walk's start alone.
            z.extend(slerp(
                &a,
                &b,
                k as f32 / steps.saturating_sub(1).max(1) as f32,
            ));
        }
    }
    z
}

pub struct InterpolateOptions<'a> {
    pub checkpoint: &'a Path,
    pub rows: usize,
    pub steps: usize,
    pub seed: u64,
    pub generator: Option<GeneratorWeights>,
    /// A conditional checkpoint's classes to morph between (names or
    /// numbers), both or neither.
    pub morph: Option<(&'a str, &'a str)>,
    /// `.png` for a strip, `.gif` for an animation.
    pub out: &'a Path,
}

/// Draws the walks and writes them to `opts.out`.
pub fn interpolate(opts: &InterpolateOptions, adapter: &AdapterChoice) -> Result<()> {
    if opts.rows == 0 || opts.steps < 2 {
        return Err(Error::Config(format!(
            "--rows {} --steps {}: a walk needs at least one row and two steps",
            opts.rows, opts.steps
        )));
    }
    let gif = match opts.out.extension().and_then(|e| e.to_str()) {
        Some("png") => false,
        Some("gif") => true,
        _ => {
            return Err(Error::Config(format!(
                "--out {}: write a .png strip or a .gif animation",
                opts.out.display()
            )))
        }
    };
    let ckpt = checkpoint::load(opts.checkpoint)?;
    let gpu = block_on(Gpu::new(adapter))?;
    let gen = Generator::new(&gpu, ckpt.shape, 0)?;
    let which = opts.generator.unwrap_or_else(|| ckpt.sampling_weights());
    ckpt.restore_generator(opts.checkpoint, &gpu, &gen, which)?;
    let (rows, steps) = (opts.rows, opts.steps);
    let latent = ckpt.shape.latent;
    let (z, mixes) = match (opts.morph, ckpt.shape.classes) {
        (Some(_), 0) => {
            return Err(Error::Config(format!(
                "--from-class/--to-class: {} is unconditional (trained without --conditional)",
                opts.checkpoint.display()
            )))
        }
        (Some((from, to)), _) => {
            let (from, to) = (
                class_index(&ckpt.classes, from)?,
                class_index(&ckpt.classes, to)?,
            );
            // Each row's noise is its walk's start point, held for the
            // whole row, while the class code moves.
            let ends = walk_noise(rows, 1, latent, opts.seed);
            let z = ends.chunks(latent).flat_map(|a| a.repeat(steps)).collect();
            let mixes = (0..rows * steps)
                .map(|i| ClassMix {
                    from,
                    to,
                    t: (i % steps) as f32 / (steps - 1) as f32,
                })
                .collect();
            (z, mixes)
        }
        (None, 0) => (walk_noise(rows, steps, latent, opts.seed), Vec::new()),
        (None, classes) => {
            let mixes = (0..rows * steps)
                .map(|i| ClassMix::of(i / steps % classes))
                .collect();
            (walk_noise(rows, steps, latent, opts.seed), mixes)
        }
    };
    let images = block_on(generate(&gpu, &gen, &z, &mixes))?;
    let hwc = ckpt.shape.hwc();
    if !gif {
        return output::save_grid(opts.out, &images, rows * steps, hwc, steps, 2);
    }
    // Frame k holds point k of every walk; the frames go there and back.
    let px = ckpt.shape.image_len();
    let cols = output::square_cols(rows);
    let order = (0..steps).chain((1..steps - 1).rev());
    let frames = order
        .map(|k| {
            let points: Vec<f32> = (0..rows)
                .flat_map(|r| images[(r * steps + k) * px..(r * steps + k + 1) * px].to_vec())
                .collect();
            (grid_image(&points, rows, hwc, cols, 4).to_rgba8(), FRAME_MS)
        })
        .collect();
    output::write_gif(opts.out, frames)
}
