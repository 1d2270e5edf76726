//! A tensor's elements copied into an rgba32float texture, for the kernel
//! variants that read their operands by texel fetch
//! (`shaders/lib/operands_texels.wgsl`): vec4 i of the tensor is texel
//! (i mod [`TEXELS_WIDTH`], i / [`TEXELS_WIDTH`]). A program records the copy
//! right before the dispatch that reads it, so the texture holds what the
//! buffer holds at that point of the step.

use super::{Gpu, Tensor};
use crate::error::{limit_err, shape_err, Result};

/// Texels per row; `operands_texels.wgsl` mirrors it. A power of two, so
/// that the shader's division is a shift, and a row of 64 KiB is a whole
/// number of the 256-byte steps a buffer-to-texture copy needs per row.
pub const TEXELS_WIDTH: u32 = 4096;

const TEXEL_BYTES: u64 = 16;

/// A texture copy of one operand of one dispatch.
pub(crate) struct TexelCopy {
    pub source: Tensor,
    texture: wgpu::Texture,
    pub view: wgpu::TextureView,
}

impl TexelCopy {
    /// A texture the size of `tensor`, bound at `binding` of `kernel` (for
    /// the errors).
    pub fn new(gpu: &Gpu, kernel: &str, binding: u32, tensor: &Tensor) -> Result<TexelCopy> {
        if !tensor.len().is_multiple_of(4) {
            return shape_err(
                kernel,
                format!(
                    "binding {binding} reads {} elements ({:?}) as vec4 texels: not a multiple of 4",
                    tensor.len(),
                    tensor.shape()
                ),
            );
        }
        let texels = tensor.len() / 4;
        let rows = texels.div_ceil(TEXELS_WIDTH as usize);
        let max = gpu.limits.max_texture_dimension_2d as usize;
        if rows > max {
            return limit_err(
                kernel,
                format!(
                    "binding {binding}: {texels} texels need {rows} rows of {TEXELS_WIDTH}, over this device's {max}"
                ),
            );
        }
        let texture = gpu.device.create_texture(&wgpu::TextureDescriptor {
            label: Some(kernel),
            size: wgpu::Extent3d {
                width: TEXELS_WIDTH.min(texels as u32),
                height: rows as u32,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba32Float,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        Ok(TexelCopy {
            source: tensor.clone(),
            texture,
            view,
        })
    }

    /// Records the copy: the whole rows, then the last part-row.
    pub fn encode(&self, encoder: &mut wgpu::CommandEncoder) {
        let texels = (self.source.len() / 4) as u64;
        let width = TEXELS_WIDTH as u64;
        let (rows, rest) = (texels / width, texels % width);
        let copy = |encoder: &mut wgpu::CommandEncoder, row: u64, size: (u64, u64)| {
            encoder.copy_buffer_to_texture(
                wgpu::TexelCopyBufferInfo {
                    buffer: self.source.buffer(),
                    layout: wgpu::TexelCopyBufferLayout {
                        offset: self.source.byte_offset() + row * width * TEXEL_BYTES,
                        bytes_per_row: Some((width * TEXEL_BYTES) as u32),
                        rows_per_image: None,
                    },
                },
                wgpu::TexelCopyTextureInfo {
                    texture: &self.texture,
                    mip_level: 0,
                    origin: wgpu::Origin3d {
                        x: 0,
                        y: row as u32,
                        z: 0,
                    },
                    aspect: wgpu::TextureAspect::All,
                },
                wgpu::Extent3d {
                    width: size.0 as u32,
                    height: size.1 as u32,
                    depth_or_array_layers: 1,
                },
            );
        };
        if rows > 0 {
            copy(encoder, 0, (width, rows));
        }
        if rest > 0 {
            copy(encoder, rows, (rest, 1));
        }
    }
}
