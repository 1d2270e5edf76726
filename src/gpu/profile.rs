//! GPU timestamps around every dispatch of a recorded program, for
//! `gan-gpu bench --profile`. Inside one compute pass where the adapter
//! allows it (TIMESTAMP_QUERY_INSIDE_PASSES), else one pass per dispatch
//! with the pass's own timestamps (which adds a pass boundary each).

use super::{Gpu, Program, Work};
use crate::error::{Error, Result};

/// How timestamps are taken on this device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampMode {
    /// Around each dispatch inside the program's single compute pass.
    InsidePass,
    /// One compute pass per dispatch, timed at its start and end.
    PassPerDispatch,
}

/// One dispatch's kernel (`file::entry`), layer and GPU time.
#[derive(Clone, Debug)]
pub struct DispatchTime {
    pub kernel: String,
    /// As the recording named it with [`Program::layer`], if it did.
    pub layer: Option<String>,
    pub ns: f64,
    pub work: Work,
}

impl Gpu {
    /// How this device can time dispatches, if at all.
    pub fn timestamp_mode(&self) -> Option<TimestampMode> {
        if self
            .features
            .contains(wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES)
        {
            Some(TimestampMode::InsidePass)
        } else if self.features.contains(wgpu::Features::TIMESTAMP_QUERY) {
            Some(TimestampMode::PassPerDispatch)
        } else {
            None
        }
    }

    /// Runs `program` once with a timestamp before and after every dispatch
    /// and returns each dispatch's time, in order.
    pub async fn profile(&self, program: &Program) -> Result<Vec<DispatchTime>> {
        let mode = self.timestamp_mode().ok_or_else(|| Error::DeviceLimit {
            op: "profile".into(),
            msg: format!("{} has no timestamp queries", self.info.name),
        })?;
        let count = 2 * program.len() as u32;
        if count > wgpu::QUERY_SET_MAX_QUERIES {
            return crate::error::limit_err(
                "profile",
                format!("{} dispatches exceed one query set", program.len()),
            );
        }
        let queries = self.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("dispatch timestamps"),
            ty: wgpu::QueryType::Timestamp,
            count,
        });
        let bytes = count as u64 * wgpu::QUERY_SIZE as u64;
        let resolved = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("resolved timestamps"),
            size: bytes,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("timestamps"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("profiled program"),
            });
        program.encode_timed(&mut encoder, &queries, mode);
        encoder.resolve_query_set(&queries, 0..count, &resolved, 0);
        encoder.copy_buffer_to_buffer(&resolved, 0, &staging, 0, bytes);
        self.queue.submit([encoder.finish()]);
        let ticks: Vec<u64> = self.read_mapped(&staging).await?;
        let period = self.queue.get_timestamp_period() as f64;
        Ok(program
            .kernels()
            .into_iter()
            .zip(ticks.chunks_exact(2))
            .map(|((kernel, layer, work), t)| DispatchTime {
                kernel: kernel.to_string(),
                layer: layer.map(str::to_string),
                ns: t[1].saturating_sub(t[0]) as f64 * period,
                work,
            })
            .collect())
    }
}
