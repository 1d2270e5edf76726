//! A program is a recorded list of dispatches. Ops record into it once; the
//! training step replays the same program every step, encoded into one
//! compute pass and one submit (a submit per dispatch costs ~4x more on
//! lavapipe and stalls real GPUs). A dispatch whose kernel reads textures
//! (`gpu::texels`) has its operands' copies recorded before it, between
//! passes, unless an earlier dispatch of the program copied the same
//! elements and nothing has written them since: then it reads that texture.

use super::profile::TimestampMode;
use super::texels::TexelCopy;
use super::{Gpu, Pipeline, Tensor};
use crate::error::{limit_err, Result};
use std::sync::Arc;
use wgpu::util::DeviceExt;

struct Dispatch {
    pipeline: Arc<Pipeline>,
    bind_group: wgpu::BindGroup,
    workgroups: [u32; 3],
    /// The work the profile divides by its time.
    work: Work,
    /// The layer and pass it belongs to, for the profile (see
    /// [`Program::layer`]).
    layer: Option<Arc<str>>,
    /// The texture copies of its operands, recorded right before it.
    copies: Vec<TexelCopy>,
    /// The tensors it binds for writing.
    writes: Vec<Tensor>,
}

/// A dispatch's work, for the profile's GFLOP/s and GB/s.
#[derive(Clone, Copy, Debug, Default)]
pub struct Work {
    /// A matrix product's 2·M·N·K (0 for other kernels).
    pub flops: f64,
    /// The bytes of every tensor bound, each counted once: the kernel's
    /// traffic if it touches each byte once (a product re-reads its inputs
    /// from cache, a gather reads some of them more than once).
    pub bytes: f64,
}

impl Dispatch {
    fn encode(&self, pass: &mut wgpu::ComputePass) {
        pass.set_pipeline(&self.pipeline.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        let [x, y, z] = self.workgroups;
        pass.dispatch_workgroups(x, y, z);
    }

    fn encode_copies(&self, encoder: &mut wgpu::CommandEncoder) {
        for copy in &self.copies {
            copy.encode(encoder);
        }
    }
}

#[derive(Default)]
pub struct Program {
    dispatches: Vec<Dispatch>,
}

impl Program {
    pub fn new() -> Program {
        Program::default()
    }

    /// Number of dispatches recorded.
    pub fn len(&self) -> usize {
        self.dispatches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dispatches.is_empty()
    }

    /// Number of operand copies into textures recorded, and their bytes.
    pub fn texel_copies(&self) -> (usize, u64) {
        let copies = self.dispatches.iter().flat_map(|d| &d.copies);
        (
            copies.clone().count(),
            copies.map(|c| c.source.bytes()).sum(),
        )
    }

    /// The texture of an earlier copy of exactly `t`'s elements that no
    /// dispatch has written since, if any.
    fn fresh_copy_of(&self, t: &Tensor) -> Option<wgpu::TextureView> {
        for d in self.dispatches.iter().rev() {
            // Its copies ran before it, so its writes make them stale too.
            if d.writes.iter().any(|w| w.overlaps(t)) {
                return None;
            }
            if let Some(c) = d.copies.iter().find(|c| c.source.same_elements(t)) {
                return Some(c.view.clone());
            }
        }
        None
    }

    /// Counts `flops` as the matrix-product work of the dispatch recorded
    /// last (the profile's GFLOP/s).
    pub fn count_flops(&mut self, flops: f64) {
        if let Some(d) = self.dispatches.last_mut() {
            d.work.flops = flops;
        }
    }

    /// Records with `record`, then gives the name `layer` to each dispatch
    /// it recorded that has none yet (so an inner name stands): the profile
    /// sums the step's time by layer as well as by kernel.
    pub fn layer(
        &mut self,
        layer: &str,
        record: impl FnOnce(&mut Program) -> Result<()>,
    ) -> Result<()> {
        let from = self.dispatches.len();
        record(self)?;
        let name: Arc<str> = layer.into();
        for d in &mut self.dispatches[from..] {
            d.layer.get_or_insert_with(|| name.clone());
        }
        Ok(())
    }

    /// Appends another program's dispatches after this one's.
    pub fn extend(&mut self, other: Program) {
        self.dispatches.extend(other.dispatches);
    }

    /// Records one dispatch of `shader::entry` with uniform `params` at
    /// binding 0 and `args` at bindings 1, 2, ... in order. Whether each
    /// binding is read-only or read-write comes from the shader's declaration.
    pub fn dispatch<P: bytemuck::Pod>(
        &mut self,
        gpu: &Gpu,
        kernel: (&'static str, &'static str),
        params: &P,
        args: &[&Tensor],
        workgroups: [u32; 3],
    ) -> Result<()> {
        let numbered: Vec<(u32, &Tensor)> = (1..).zip(args.iter().copied()).collect();
        self.dispatch_at(gpu, kernel, params, &numbered, workgroups)
    }

    /// Like [`Program::dispatch`], with explicit binding numbers for kernels
    /// whose entry points use different subsets of a file's bindings.
    pub fn dispatch_at<P: bytemuck::Pod>(
        &mut self,
        gpu: &Gpu,
        (shader, entry): (&'static str, &'static str),
        params: &P,
        args: &[(u32, &Tensor)],
        workgroups: [u32; 3],
    ) -> Result<()> {
        let name = format!("{shader}::{entry}");
        let max = gpu.max_workgroups();
        if workgroups.iter().any(|&w| w > max) {
            return limit_err(
                &name,
                format!(
                    "{workgroups:?} workgroups exceed this device's limit of {max} per dimension"
                ),
            );
        }
        let bindings: Vec<u32> = args.iter().map(|(b, _)| *b).collect();
        let pipeline = gpu.pipeline(shader, entry, &bindings)?;
        for &(binding, t) in args {
            gpu.check_binding_size(&name, &format!("binding {binding}"), t.bytes())?;
        }
        // The texture each texture binding reads, and the copies to record.
        let mut views = Vec::new();
        let mut copies: Vec<TexelCopy> = Vec::new();
        for &(binding, t) in args {
            if !pipeline.textures.contains(&binding) {
                continue;
            }
            let earlier = copies.iter().find(|c| c.source.same_elements(t));
            let view = match earlier
                .map(|c| c.view.clone())
                .or_else(|| self.fresh_copy_of(t))
            {
                Some(view) => view,
                None => {
                    let copy = TexelCopy::new(gpu, &name, binding, t)?;
                    let view = copy.view.clone();
                    copies.push(copy);
                    view
                }
            };
            views.push((binding, view));
        }
        let resources: Vec<(u32, wgpu::BindingResource)> = args
            .iter()
            .map(
                |&(binding, t)| match views.iter().find(|(b, _)| *b == binding) {
                    Some((_, view)) => (binding, wgpu::BindingResource::TextureView(view)),
                    None => (binding, t.binding()),
                },
            )
            .collect();
        let bind_group = gpu.validated(&format!("binding kernel {name}"), || {
            Ok(bind(gpu, &name, &pipeline, params, resources))
        })?;
        let writes = args
            .iter()
            .filter(|(binding, _)| pipeline.writes.contains(binding))
            .map(|&(_, t)| t.clone())
            .collect();
        let bytes = args.iter().map(|(_, t)| t.bytes() as f64).sum();
        self.dispatches.push(Dispatch {
            pipeline,
            bind_group,
            workgroups,
            work: Work { flops: 0.0, bytes },
            layer: None,
            copies,
            writes,
        });
        Ok(())
    }

    /// Kernel names (`file::entry`), layers and work of the dispatches, in
    /// order.
    pub(crate) fn kernels(&self) -> Vec<(&str, Option<&str>, Work)> {
        self.dispatches
            .iter()
            .map(|d| (d.pipeline.name.as_str(), d.layer.as_deref(), d.work))
            .collect()
    }

    /// The dispatches in runs that share a compute pass: a new run starts
    /// at each dispatch with copies to record first. Each run comes with
    /// the index of its first dispatch.
    fn runs(&self) -> impl Iterator<Item = (usize, &[Dispatch])> {
        self.dispatches
            .chunk_by(|_, next| next.copies.is_empty())
            .scan(0, |from, run| {
                *from += run.len();
                Some((*from - run.len(), run))
            })
    }

    /// Encodes every dispatch with timestamps 2i and 2i + 1 around
    /// dispatch i (see `gpu::profile`).
    pub(crate) fn encode_timed(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        queries: &wgpu::QuerySet,
        mode: TimestampMode,
    ) {
        match mode {
            TimestampMode::InsidePass => {
                for (from, run) in self.runs() {
                    run[0].encode_copies(encoder);
                    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: Some("program (timed)"),
                        timestamp_writes: None,
                    });
                    for (i, d) in (from..).zip(run) {
                        pass.write_timestamp(queries, 2 * i as u32);
                        d.encode(&mut pass);
                        pass.write_timestamp(queries, 2 * i as u32 + 1);
                    }
                }
            }
            TimestampMode::PassPerDispatch => {
                for (i, d) in self.dispatches.iter().enumerate() {
                    d.encode_copies(encoder);
                    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: Some(&d.pipeline.name),
                        timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                            query_set: queries,
                            beginning_of_pass_write_index: Some(2 * i as u32),
                            end_of_pass_write_index: Some(2 * i as u32 + 1),
                        }),
                    });
                    d.encode(&mut pass);
                }
            }
        }
    }

    /// Encodes every dispatch into one compute pass, or one per run of
    /// dispatches between operand copies.
    pub fn encode(&self, encoder: &mut wgpu::CommandEncoder) {
        for (_, run) in self.runs() {
            run[0].encode_copies(encoder);
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("program"),
                timestamp_writes: None,
            });
            for d in run {
                d.encode(&mut pass);
            }
        }
    }
}

/// The bind group of one dispatch: `params` as a new uniform buffer at
/// binding 0, then the tensors (or their texture copies) at their bindings.
fn bind<P: bytemuck::Pod>(
    gpu: &Gpu,
    name: &str,
    pipeline: &Pipeline,
    params: &P,
    args: Vec<(u32, wgpu::BindingResource)>,
) -> wgpu::BindGroup {
    let params = gpu
        .device
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(name),
            contents: bytemuck::bytes_of(params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
    let mut entries = vec![wgpu::BindGroupEntry {
        binding: 0,
        resource: params.as_entire_binding(),
    }];
    entries.extend(
        args.into_iter()
            .map(|(binding, resource)| wgpu::BindGroupEntry { binding, resource }),
    );
    gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(name),
        layout: &pipeline.layout,
        entries: &entries,
    })
}

impl Gpu {
    /// Submits `program` as one command buffer without waiting for it.
    pub fn submit(&self, program: &Program) -> Result<()> {
        self.validated(&format!("program of {} dispatches", program.len()), || {
            let mut encoder = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("program"),
                });
            program.encode(&mut encoder);
            self.queue.submit([encoder.finish()]);
            Ok(())
        })
    }

    /// Submits `program` and waits for it to finish.
    pub fn run(&self, program: &Program) -> Result<()> {
        self.submit(program)?;
        self.wait()
    }
}
