//! Column matrices past one storage binding. A layer's column matrix
//! [rows, kh·kw·c] is the largest tensor of a step: disc conv2's is 160 MB
//! at batch 256, over the 128 MiB binding limit of lavapipe and of WebGPU's
//! defaults, while every activation is ~12× smaller. Where it does not fit,
//! the layer's column products run a chunk of images at a time through a
//! column workspace of one chunk, and weight gradients sum the chunks'
//! partial products in a fixed order, so the result stays deterministic.

use crate::error::{limit_err, shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};
use crate::ops::reduce::sum_slices;
use crate::spec::conv::Geometry;

/// The chunks of images a layer's column matrix is processed in.
#[derive(Clone, Copy, Debug)]
pub(super) struct ColChunks {
    /// The whole layer's geometry.
    g: Geometry,
    /// Channels on the patch side: a convolution's output channels, a
    /// transposed convolution's input channels.
    k: usize,
    /// Images per chunk (the last may have fewer).
    per_chunk: usize,
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl ColChunks {
    /// As many images per chunk as one binding of the column matrix holds,
    /// rounded down so that every chunk starts at a 256-byte offset in the
    /// image and patch tensors (the alignment views need).
    pub(super) fn new(gpu: &Gpu, g: &Geometry, k: usize) -> Result<ColChunks> {
        let image_bytes = (g.oh * g.ow * g.cols() * 4) as u64;
        let fit = (gpu.limits.max_storage_buffer_binding_size / image_bytes) as usize;
        // 64 / gcd(e, 64) is a power of two, so the larger one is the lcm.
        let step = [g.h * g.w * g.c, g.oh * g.ow * k]
            .iter()
            .map(|&e| 64 / gcd(e, 64))
            .max()
            .unwrap_or(1);
        let per_chunk = if fit >= g.n { g.n } else { fit / step * step };
        if per_chunk == 0 {
            return limit_err(
                "convolution",
                format!(
                    "the column matrix of {step} image(s) ({} bytes for {g:?}) is over this \
                     device's storage binding limit of {} bytes",
                    image_bytes * step as u64,
                    gpu.limits.max_storage_buffer_binding_size
                ),
            );
        }
        Ok(ColChunks {
            g: *g,
            k,
            per_chunk,
        })
    }

    /// Whether one chunk holds every image.
    pub(super) fn whole(&self) -> bool {
        self.per_chunk == self.g.n
    }

    fn count(&self) -> usize {
        self.g.n.div_ceil(self.per_chunk)
    }

    /// Each chunk: its first image and its geometry.
    fn each(&self) -> impl Iterator<Item = Chunk> + '_ {
        (0..self.g.n).step_by(self.per_chunk).map(|start| Chunk {
            start,
            k: self.k,
            g: Geometry {
                n: self.per_chunk.min(self.g.n - start),
                ..self.g
            },
        })
    }

    /// Calls `f` on every chunk in order.
    pub(super) fn for_each(&self, mut f: impl FnMut(&Chunk) -> Result<()>) -> Result<()> {
        self.each().try_for_each(|c| f(&c))
    }

    /// Records out = Σ over chunks of `product(chunk, target)`, where each
    /// product writes a chunk's share of a sum over images (a weight
    /// gradient) into `target`, shaped like `out`: straight into `out` when
    /// there is one chunk, else into a slice each, summed afterwards.
    pub(super) fn sum_into(
        &self,
        gpu: &Gpu,
        prog: &mut Program,
        out: &Tensor,
        mut product: impl FnMut(&mut Program, &Chunk, &Tensor) -> Result<()>,
    ) -> Result<()> {
        let mut chunks = self.each();
        if self.whole() {
            let chunk = chunks.next().expect("a layer has images");
            return product(prog, &chunk, out);
        }
        let len = out.len();
        if !len.is_multiple_of(64) {
            return limit_err(
                "convolution",
                format!(
                    "a weight gradient of {len} elements (not a multiple of 64) cannot be \
                     summed over chunks of the column matrix of {:?}",
                    self.g
                ),
            );
        }
        let partial_bytes = (self.count() * len * 4) as u64;
        if partial_bytes > gpu.limits.max_storage_buffer_binding_size {
            return limit_err(
                "convolution",
                format!(
                    "the weight gradient's partial sums over {} chunks of the column matrix of \
                     {:?} need {partial_bytes} bytes, over this device's storage binding limit \
                     of {} bytes",
                    self.count(),
                    self.g,
                    gpu.limits.max_storage_buffer_binding_size
                ),
            );
        }
        let partial = gpu.zeros("column chunks' partial sums", &[self.count(), len])?;
        for (i, chunk) in chunks.enumerate() {
            product(prog, &chunk, &partial.view(i * len, out.shape())?)?;
        }
        sum_slices(gpu, prog, &partial, out)
    }
}

/// One chunk of images: where it starts and the geometry of its images.
pub(super) struct Chunk {
    start: usize,
    k: usize,
    pub g: Geometry,
}

impl Chunk {
    /// The chunk's images of `t`, a tensor on the image side [n, h, w, c].
    pub fn image_side(&self, t: &Tensor) -> Result<Tensor> {
        let per = self.g.h * self.g.w * self.g.c;
        t.view(self.start * per, &[self.g.n * per])
    }

    /// The chunk's images of `t`, a tensor on the patch side [n, oh, ow, k].
    pub fn patch_side(&self, t: &Tensor) -> Result<Tensor> {
        let per = self.g.oh * self.g.ow * self.k;
        t.view(self.start * per, &[self.g.n * per])
    }

    /// The chunk's column matrix [rows, cols] at the start of `col`, a
    /// workspace of at least one chunk (see [`col_workspace`]).
    pub fn col(&self, col: &Tensor) -> Result<Tensor> {
        let len = self.g.rows() * self.g.cols();
        if col.len() < len {
            return shape_err(
                "convolution",
                format!(
                    "column workspace {:?} is smaller than a chunk's {len} elements",
                    col.shape()
                ),
            );
        }
        col.view(0, &[self.g.rows(), self.g.cols()])
    }
}

/// A zeroed column workspace for the layer of geometry `g` with `k`
/// channels on the patch side: [rows, cols] of the largest chunk.
pub fn col_workspace(gpu: &Gpu, label: &str, g: &Geometry, k: usize) -> Result<Tensor> {
    let chunks = ColChunks::new(gpu, g, k)?;
    let rows = chunks.per_chunk * g.oh * g.ow;
    gpu.zeros(label, &[rows, g.cols()])
}
