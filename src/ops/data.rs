//! Batch gathering from the GPU-resident data set (`shaders/data.wgsl`;
//! reference: `cpu::data`).

use super::{fits_u32, grid_1d};
use crate::error::{shape_err, Result};
use crate::gpu::{Gpu, Program, Tensor};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    count: u32,
    pixels: u32,
    dst_offset: u32,
    width: u32,
    max_shift: u32,
    seed: u32,
    salt: u32,
    _pad: u32,
}

/// Random shifts for [`gather_images_shifted`]: each image moves by up to
/// `max` pixels each way on each axis, drawn from the stream of (`seed`,
/// `salt`, the step counter).
#[derive(Clone, Copy, Debug, Default)]
pub struct Shift {
    pub max: u32,
    pub seed: u32,
    pub salt: u32,
}

/// Packs bytes four to a u32 (little-endian), the layout `dataset` uses.
pub fn pack_bytes(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks(4)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            u32::from_le_bytes(w)
        })
        .collect()
}

/// Records out[dst_offset + b·pixels + p] = dataset image order[counter[1] + b],
/// pixel p, scaled to [-1, 1], for b < count.
#[allow(clippy::too_many_arguments)]
pub fn gather_images(
    gpu: &Gpu,
    prog: &mut Program,
    dataset: &Tensor,
    order: &Tensor,
    counter: &Tensor,
    pixels: usize,
    count: usize,
    out: &Tensor,
    dst_offset: usize,
) -> Result<()> {
    let source = Source {
        dataset,
        order,
        counter,
    };
    gather(
        gpu,
        prog,
        "gather_images",
        &source,
        pixels,
        count,
        out,
        dst_offset,
        None,
    )
}

/// [`gather_images`] with image b moved by (dx, dy), each in [-max, max],
/// from draw b of the shift's stream at the counter's step; pixels moved in
/// from past the edge are black (-1). `hw` is the images' height and width.
#[allow(clippy::too_many_arguments)]
pub fn gather_images_shifted(
    gpu: &Gpu,
    prog: &mut Program,
    dataset: &Tensor,
    order: &Tensor,
    counter: &Tensor,
    hw: (usize, usize),
    count: usize,
    out: &Tensor,
    dst_offset: usize,
    shift: Shift,
) -> Result<()> {
    let op = "gather_images_shifted";
    if hw.0 == 0 || hw.1 == 0 {
        return shape_err(op, format!("images of {}x{} pixels", hw.0, hw.1));
    }
    if shift.max as usize >= hw.0.min(hw.1) {
        return shape_err(
            op,
            format!(
                "a shift of up to {} pixels would move a {}x{} image out of its frame",
                shift.max, hw.0, hw.1
            ),
        );
    }
    let source = Source {
        dataset,
        order,
        counter,
    };
    gather(
        gpu,
        prog,
        op,
        &source,
        hw.0 * hw.1,
        count,
        out,
        dst_offset,
        Some((hw.1, shift)),
    )
}

/// Records out[dst_offset + b] = label of image order[counter[1] + b] (a
/// float class index) from `labels`, one byte per image packed like the
/// images, for b < count.
#[allow(clippy::too_many_arguments)]
pub fn gather_labels(
    gpu: &Gpu,
    prog: &mut Program,
    labels: &Tensor,
    order: &Tensor,
    counter: &Tensor,
    count: usize,
    out: &Tensor,
    dst_offset: usize,
) -> Result<()> {
    let source = Source {
        dataset: labels,
        order,
        counter,
    };
    gather(
        gpu,
        prog,
        "gather_labels",
        &source,
        1,
        count,
        out,
        dst_offset,
        None,
    )
}

/// What a gather reads: the packed bytes, the epoch's order and the step
/// counter holding the batch's start in it.
struct Source<'a> {
    dataset: &'a Tensor,
    order: &'a Tensor,
    counter: &'a Tensor,
}

#[allow(clippy::too_many_arguments)]
fn gather(
    gpu: &Gpu,
    prog: &mut Program,
    op: &'static str,
    src: &Source,
    pixels: usize,
    count: usize,
    out: &Tensor,
    dst_offset: usize,
    shift: Option<(usize, Shift)>,
) -> Result<()> {
    let Source {
        dataset,
        order,
        counter,
    } = *src;
    if dst_offset + count * pixels > out.len() {
        return shape_err(
            op,
            format!(
                "{count} images of {pixels} pixels at offset {dst_offset} overflow out {:?}",
                out.shape()
            ),
        );
    }
    if count > order.len() {
        return shape_err(
            op,
            format!("batch of {count} exceeds the {} indices", order.len()),
        );
    }
    if counter.len() < 2 {
        return shape_err(op, "counter needs [step, batch start]");
    }
    let (width, s) = shift.unwrap_or_default();
    let params = Params {
        count: count as u32,
        pixels: pixels as u32,
        dst_offset: fits_u32(op, dst_offset)?,
        width: width as u32,
        max_shift: s.max,
        seed: s.seed,
        salt: s.salt,
        _pad: 0,
    };
    fits_u32(op, dataset.len() * 4)?;
    prog.dispatch(
        gpu,
        ("data", op),
        &params,
        &[dataset, order, out, counter],
        grid_1d(gpu, count * pixels),
    )
}

/// The layout `shaders/data.wgsl` mirrors.
pub(crate) fn mirror() -> crate::gpu::mirror::Mirror {
    crate::wgsl_mirror!(
        Params,
        "data",
        "Params",
        [count, pixels, dst_offset, width, max_shift, seed, salt]
    )
}
