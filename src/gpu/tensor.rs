//! A tensor is a shaped view of a storage buffer: 4-byte elements (f32, or
//! u32 for indices and packed bytes), row-major, NHWC for images.

use super::Gpu;
use crate::error::{limit_err, shape_err, Error, Result};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Tensor {
    buffer: Arc<wgpu::Buffer>,
    /// Offset into `buffer`, in elements.
    offset: usize,
    shape: Vec<usize>,
}

fn check_shape(op: &str, shape: &[usize]) -> Result<usize> {
    let len: usize = shape.iter().product();
    if shape.is_empty() || len == 0 {
        return shape_err(op, format!("shape {shape:?} has no elements"));
    }
    Ok(len)
}

impl Tensor {
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn bytes(&self) -> u64 {
        self.len() as u64 * 4
    }

    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }

    /// Offset into the underlying buffer, in bytes.
    pub fn byte_offset(&self) -> u64 {
        self.offset as u64 * 4
    }

    /// The same elements with another shape; no copy.
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        let len = check_shape("reshape", shape)?;
        if len != self.len() {
            return shape_err(
                "reshape",
                format!("cannot view {:?} as {shape:?}", self.shape),
            );
        }
        Ok(Tensor {
            buffer: self.buffer.clone(),
            offset: self.offset,
            shape: shape.to_vec(),
        })
    }

    /// A sub-range of this tensor's elements starting at `offset`, with
    /// `shape`; no copy. GPUs bind buffers at 256-byte steps, so `offset`
    /// must be a multiple of 64 elements.
    pub fn view(&self, offset: usize, shape: &[usize]) -> Result<Tensor> {
        let len = check_shape("view", shape)?;
        if offset + len > self.len() {
            return shape_err(
                "view",
                format!(
                    "elements {offset}..{} are outside a tensor of shape {:?}",
                    offset + len,
                    self.shape
                ),
            );
        }
        if !((self.offset + offset) * 4).is_multiple_of(256) {
            return shape_err(
                "view",
                format!("offset {offset} is not a multiple of 64 elements (256 bytes)"),
            );
        }
        Ok(Tensor {
            buffer: self.buffer.clone(),
            offset: self.offset + offset,
            shape: shape.to_vec(),
        })
    }

    /// This tensor and `next` as one flat tensor, where `next` starts right
    /// where this one ends in the same buffer (as a layer's bias follows
    /// its kernel in a parameter set whose kernel fills whole 256-byte
    /// blocks); else None.
    pub fn followed_by(&self, next: &Tensor) -> Option<Tensor> {
        let adjacent =
            Arc::ptr_eq(&self.buffer, &next.buffer) && self.offset + self.len() == next.offset;
        adjacent.then(|| Tensor {
            buffer: self.buffer.clone(),
            offset: self.offset,
            shape: vec![self.len() + next.len()],
        })
    }

    /// Whether `other` views exactly these elements of the same buffer.
    pub(crate) fn same_elements(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.buffer, &other.buffer)
            && self.offset == other.offset
            && self.len() == other.len()
    }

    /// Whether `other` shares any element of the same buffer with this one.
    pub(crate) fn overlaps(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.buffer, &other.buffer)
            && self.offset < other.offset + other.len()
            && other.offset < self.offset + self.len()
    }

    pub(crate) fn binding(&self) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: self.byte_offset(),
            size: std::num::NonZeroU64::new(self.bytes()),
        })
    }
}

impl Gpu {
    fn storage_buffer(&self, label: &str, len: usize) -> Result<wgpu::Buffer> {
        let bytes = len as u64 * 4;
        if bytes > self.limits.max_buffer_size {
            return limit_err(
                label,
                format!(
                    "{len} elements exceed this device's buffer limit of {} bytes",
                    self.limits.max_buffer_size
                ),
            );
        }
        Ok(self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        }))
    }

    /// A zero-filled tensor.
    pub fn zeros(&self, label: &str, shape: &[usize]) -> Result<Tensor> {
        let len = check_shape(label, shape)?;
        Ok(Tensor {
            buffer: Arc::new(self.storage_buffer(label, len)?),
            offset: 0,
            shape: shape.to_vec(),
        })
    }

    /// A new tensor holding `data` (f32 or u32).
    pub fn upload<T: bytemuck::Pod>(
        &self,
        label: &str,
        shape: &[usize],
        data: &[T],
    ) -> Result<Tensor> {
        let t = self.zeros(label, shape)?;
        self.write(&t, data)?;
        Ok(t)
    }

    /// Overwrites a tensor's contents; ordered before the next submit.
    pub fn write<T: bytemuck::Pod>(&self, t: &Tensor, data: &[T]) -> Result<()> {
        if std::mem::size_of::<T>() != 4 || data.len() != t.len() {
            return shape_err(
                "write",
                format!(
                    "{} values of {} bytes do not fill a tensor of shape {:?}",
                    data.len(),
                    std::mem::size_of::<T>(),
                    t.shape
                ),
            );
        }
        self.queue
            .write_buffer(&t.buffer, t.byte_offset(), bytemuck::cast_slice(data));
        Ok(())
    }

    /// Copies a tensor back to the CPU once all submitted work is done.
    pub async fn download<T: bytemuck::Pod>(&self, t: &Tensor) -> Result<Vec<T>> {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("download"),
            size: t.bytes(),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("download"),
            });
        encoder.copy_buffer_to_buffer(&t.buffer, t.byte_offset(), &staging, 0, t.bytes());
        self.queue.submit([encoder.finish()]);
        self.read_mapped(&staging).await
    }

    /// Reads a MAP_READ buffer back once all submitted work is done:
    /// natively by polling the device until the mapping completes, in a
    /// browser by awaiting it. Reports any GPU error no scope caught.
    pub(crate) async fn read_mapped<T: bytemuck::Pod>(
        &self,
        staging: &wgpu::Buffer,
    ) -> Result<Vec<T>> {
        let (tx, rx) = futures_channel::oneshot::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        self.wait()?;
        let gpu_err = |msg: String| Error::Gpu {
            context: "reading a tensor back".into(),
            msg,
        };
        let mapped = rx.await;
        self.check_uncaptured()?;
        mapped
            .map_err(|e| gpu_err(e.to_string()))?
            .map_err(|e| gpu_err(e.to_string()))?;
        let view = staging
            .get_mapped_range(..)
            .map_err(|e| gpu_err(e.to_string()))?;
        let out = bytemuck::cast_slice::<u8, T>(&view).to_vec();
        drop(view);
        staging.unmap();
        Ok(out)
    }
}
