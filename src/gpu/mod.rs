//! The GPU context: adapter choice, device with the adapter's own limits,
//! tensors, the kernel registry and recorded programs of dispatches.

pub mod mirror;
mod pipeline_cache;
mod probe;
pub mod profile;
mod program;
mod tensor;
pub mod texels;

pub use program::{Program, Work};
pub use tensor::Tensor;

use crate::error::{Error, Result};
use pipeline_cache::DiskCache;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Runs a future to completion on native targets, where every wgpu future
/// is ready once the device has been polled. The library's edges (device
/// creation, readback) are async so that the browser, which cannot block,
/// runs the same code; the CLI and the native tests drive them with this.
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// How to choose an adapter. `name` is a case-insensitive substring of the
/// adapter's name; without it `WGPU_ADAPTER_NAME` is honoured, then the
/// fastest kind of device (discrete > integrated > virtual > CPU).
#[derive(Debug, Clone, Default)]
pub struct AdapterChoice {
    pub name: Option<String>,
    /// Use the kernels that avoid subgroup operations even where the
    /// adapter offers them (for comparison and for testing the fallback).
    pub no_subgroups: bool,
    /// Read the subgroup kernels' operands from storage buffers even where
    /// texel fetches are chosen (see [`Gpu::texel_operands`]).
    pub no_texel_operands: bool,
    /// A storage binding limit below the adapter's, in bytes: the tests
    /// use it to make small layers split their column matrices as the
    /// model's do past lavapipe's 128 MiB (`ops::conv`'s chunks).
    pub max_storage_binding: Option<u64>,
    /// A folder for wgpu's pipeline cache, where the backend has one
    /// (Vulkan): the driver's compiled pipelines are read from it at start
    /// and written back when the `Gpu` is dropped. None: no cache.
    pub pipeline_cache: Option<PathBuf>,
}

/// One line of `gan-gpu info` per adapter.
pub fn describe_adapter(info: &wgpu::AdapterInfo) -> String {
    format!(
        "{} ({:?}, {:?}, driver: {} {})",
        info.name, info.backend, info.device_type, info.driver, info.driver_info
    )
}

pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    pub features: wgpu::Features,
    /// Whether the matrix products share loads through subgroup shuffles:
    /// the adapter offers subgroups, its smallest has at least 8 lanes, and
    /// the probe found them laid as the subgroup kernels need.
    pub subgroup_matmul: bool,
    /// Why the matrix kernels are (or are not) the subgroup ones, for `info`.
    pub subgroup_reason: String,
    /// Whether the subgroup kernels read their operands A and B by texel
    /// fetch from texture copies (their `*_texels` modules) instead of
    /// from storage buffers: on a CPU Vulkan driver (lavapipe), whose
    /// storage loads at per-lane addresses are loops with a branch per
    /// lane, and only with `subgroup_matmul`.
    pub texel_operands: bool,
    /// Why the operands are read one way or the other, for `info`.
    pub texel_reason: String,
    modules: Mutex<HashMap<&'static str, Arc<wgpu::ShaderModule>>>,
    pipelines: Mutex<HashMap<PipelineKey, Arc<Pipeline>>>,
    pipeline_cache: Option<DiskCache>,
    /// The first validation error no scope caught; see [`Gpu::validated`].
    uncaptured: Arc<Mutex<Option<String>>>,
}

/// A compiled kernel: pipeline plus the bind group layout it was built with.
pub struct Pipeline {
    pub name: String,
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
    /// The bindings that take a texture copy of their tensor.
    pub textures: Vec<u32>,
    /// The storage bindings the kernel may write.
    pub writes: Vec<u32>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct PipelineKey {
    shader: &'static str,
    entry: &'static str,
    bindings: Vec<u32>,
}

fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    if cfg!(target_arch = "wasm32") {
        desc.backends = wgpu::Backends::BROWSER_WEBGPU;
    } else if std::env::var_os("WGPU_BACKEND").is_none() {
        // OpenGL too, so that a machine with only an OpenGL driver still
        // gets an adapter; `rank` prefers the primary backends.
        desc.backends = wgpu::Backends::PRIMARY | wgpu::Backends::GL;
    }
    wgpu::Instance::new(desc)
}

/// Every adapter wgpu can see with the current environment.
pub async fn list_adapters() -> Vec<wgpu::AdapterInfo> {
    let instance = instance();
    instance
        .enumerate_adapters(wgpu::Backends::all())
        .await
        .iter()
        .map(|a| a.get_info())
        .collect()
}

/// Lower is preferred: the fastest kind of device, then a primary backend
/// (Vulkan, Metal, DX12) over OpenGL on the same device.
fn rank(info: &wgpu::AdapterInfo) -> (u32, bool) {
    (
        device_rank(info.device_type),
        info.backend == wgpu::Backend::Gl,
    )
}

fn device_rank(t: wgpu::DeviceType) -> u32 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

impl Gpu {
    /// Opens the chosen adapter with its own limits (not `Limits::default()`,
    /// which caps workgroups at 256 invocations) and the optional features
    /// the kernels can use.
    pub async fn new(choice: &AdapterChoice) -> Result<Gpu> {
        let instance = instance();
        let adapters = instance.enumerate_adapters(wgpu::Backends::all()).await;
        let filter = choice
            .name
            .clone()
            .or_else(|| std::env::var("WGPU_ADAPTER_NAME").ok())
            .map(|s| s.to_lowercase());
        let seen = if adapters.is_empty() {
            "none".to_string()
        } else {
            adapters
                .iter()
                .map(|a| describe_adapter(&a.get_info()))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let adapter = adapters
            .into_iter()
            .filter(|a| {
                filter
                    .as_ref()
                    .is_none_or(|f| a.get_info().name.to_lowercase().contains(f))
            })
            .min_by_key(|a| rank(&a.get_info()))
            .ok_or_else(|| {
                let name = filter.as_ref().map(|f| format!(" matching '{f}'"));
                let backend = std::env::var("WGPU_BACKEND")
                    .ok()
                    .map(|b| format!(" on backend WGPU_BACKEND={b} (unset it to search all)"));
                Error::NoAdapter {
                    filter: [name, backend].into_iter().flatten().collect(),
                    seen,
                }
            })?;
        let info = adapter.get_info();
        let mut limits = adapter.limits();
        if let Some(max) = choice.max_storage_binding {
            limits.max_storage_buffer_binding_size =
                limits.max_storage_buffer_binding_size.min(max);
        }
        let has_subgroups = adapter.features().contains(wgpu::Features::SUBGROUP);
        let mut subgroup_reason = if choice.no_subgroups {
            "--no-subgroups was given".to_string()
        } else if !has_subgroups {
            "the adapter has no subgroup operations".to_string()
        } else if info.subgroup_min_size < 8 {
            format!(
                "its smallest subgroup has {} lanes, under the 8 the kernels share loads between",
                info.subgroup_min_size
            )
        } else {
            String::new()
        };
        let wants_subgroups = subgroup_reason.is_empty();
        // Timestamps for `bench --profile`, where the adapter has them.
        let timestamps = adapter.features()
            & (wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES);
        let cache = match choice.pipeline_cache {
            Some(_) => DiskCache::features(&adapter),
            None => wgpu::Features::empty(),
        };
        let features = if wants_subgroups {
            wgpu::Features::SUBGROUP | timestamps | cache
        } else {
            timestamps | cache
        };
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("gan-gpu"),
                required_features: features,
                required_limits: limits.clone(),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|e| Error::Device {
                adapter: info.name.clone(),
                msg: e.to_string(),
            })?;
        log::info!("adapter: {}", describe_adapter(&info));
        let uncaptured = Arc::new(Mutex::new(None));
        let slot = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            slot.lock().unwrap().get_or_insert(e.to_string());
        }));
        let mut gpu = Gpu {
            device,
            queue,
            info,
            limits,
            features,
            subgroup_matmul: false,
            subgroup_reason: String::new(),
            texel_operands: false,
            texel_reason: String::new(),
            modules: Mutex::new(HashMap::new()),
            pipelines: Mutex::new(HashMap::new()),
            pipeline_cache: None,
            uncaptured,
        };
        gpu.pipeline_cache = choice
            .pipeline_cache
            .as_deref()
            .and_then(|dir| DiskCache::open(&gpu, dir));
        if wants_subgroups {
            match probe::subgroup_layout_problem(&gpu).await? {
                None => {
                    gpu.subgroup_matmul = true;
                    subgroup_reason = format!(
                        "subgroups of {}..{} lanes, laid over consecutive invocations (probed)",
                        gpu.info.subgroup_min_size, gpu.info.subgroup_max_size
                    );
                }
                Some(problem) => subgroup_reason = format!("the subgroup probe found {problem}"),
            }
        }
        gpu.subgroup_reason = subgroup_reason;
        let on_cpu_vulkan = gpu.info.device_type == wgpu::DeviceType::Cpu
            && gpu.info.backend == wgpu::Backend::Vulkan;
        gpu.texel_reason = if !gpu.subgroup_matmul {
            "storage buffers: the kernels without subgroups have no texel variant".into()
        } else if choice.no_texel_operands {
            "storage buffers: --no-texel-operands was given".into()
        } else if !on_cpu_vulkan {
            "storage buffers: texel fetches were measured faster only on a CPU Vulkan driver (lavapipe)".into()
        } else {
            gpu.texel_operands = true;
            "texel fetches: on a CPU Vulkan driver a storage load at a per-lane address is a loop with a branch per lane, a texel fetch is not (BENCHMARKS.md)".into()
        };
        Ok(gpu)
    }

    /// The kernel `entry` of `shader` (a file in `shaders/`) with the given
    /// storage bindings, compiled once and cached. Binding 0 is always the
    /// kernel's uniform parameters.
    pub fn pipeline(
        &self,
        shader: &'static str,
        entry: &'static str,
        bindings: &[u32],
    ) -> Result<Arc<Pipeline>> {
        let key = PipelineKey {
            shader,
            entry,
            bindings: bindings.to_vec(),
        };
        if let Some(p) = self.pipelines.lock().unwrap().get(&key) {
            return Ok(p.clone());
        }
        let name = format!("{shader}::{entry}");
        let p = self.validated(&format!("building kernel {name}"), || {
            self.build_pipeline(shader, entry, bindings, name.clone())
        })?;
        let p = Arc::new(p);
        self.pipelines.lock().unwrap().insert(key, p.clone());
        Ok(p)
    }

    fn build_pipeline(
        &self,
        shader: &'static str,
        entry: &'static str,
        bindings: &[u32],
        name: String,
    ) -> Result<Pipeline> {
        let module = self.module(shader)?;
        let mut entries = vec![wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        }];
        let writes = crate::shaders::storage_writes(shader);
        let textures: Vec<u32> = crate::shaders::texture_bindings(shader)
            .into_iter()
            .filter(|b| bindings.contains(b))
            .collect();
        for &binding in bindings {
            let ty = if textures.contains(&binding) {
                // rgba32float is not filterable; the kernels only load texels.
                wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: false },
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                }
            } else if let Some(&w) = writes.get(&binding) {
                wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage { read_only: !w },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                }
            } else {
                return Err(Error::Gpu {
                    context: format!("building kernel {name}"),
                    msg: format!(
                        "the shader declares no storage buffer or texture at binding {binding}"
                    ),
                });
            };
            entries.push(wgpu::BindGroupLayoutEntry {
                binding,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty,
                count: None,
            });
        }
        let layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(&name),
                entries: &entries,
            });
        let pipeline_layout = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(&name),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&name),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: self.pipeline_cache.as_ref().map(|c| &c.cache),
            });
        Ok(Pipeline {
            name,
            pipeline,
            layout,
            textures,
            writes: bindings
                .iter()
                .copied()
                .filter(|b| writes.get(b) == Some(&true))
                .collect(),
        })
    }

    /// Runs `f`, which creates GPU objects, and turns a validation error it
    /// caused into an `Error::Gpu` naming `context`. Natively wgpu reports
    /// such errors at once, so the error scope is read on the spot. A
    /// browser reports them asynchronously: there the error reaches the
    /// device's uncaptured-error handler and [`Gpu::check_uncaptured`]
    /// returns it at the next readback.
    pub(crate) fn validated<T>(&self, context: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
            let out = f();
            match block_on(scope.pop()) {
                Some(e) => Err(Error::Gpu {
                    context: context.to_string(),
                    msg: e.to_string(),
                }),
                None => out,
            }
        }
        #[cfg(target_arch = "wasm32")]
        {
            let _ = context;
            f()
        }
    }

    /// The first GPU error no scope caught, if any (in a browser, every
    /// validation error arrives this way).
    pub(crate) fn check_uncaptured(&self) -> Result<()> {
        match self.uncaptured.lock().unwrap().clone() {
            Some(msg) => Err(Error::Gpu {
                context: "an earlier GPU command".into(),
                msg,
            }),
            None => Ok(()),
        }
    }

    fn module(&self, shader: &'static str) -> Result<Arc<wgpu::ShaderModule>> {
        if let Some(m) = self.modules.lock().unwrap().get(shader) {
            return Ok(m.clone());
        }
        let source = crate::shaders::source(shader).ok_or_else(|| Error::Gpu {
            context: format!("shader {shader}"),
            msg: "no such shader file".into(),
        })?;
        let module = Arc::new(
            self.device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(shader),
                    source: wgpu::ShaderSource::Wgsl(source.into()),
                }),
        );
        self.modules.lock().unwrap().insert(shader, module.clone());
        Ok(module)
    }

    /// Checks that a binding of `bytes` fits the device; `op` names the caller.
    pub fn check_binding_size(&self, op: &str, what: &str, bytes: u64) -> Result<()> {
        let max = self.limits.max_storage_buffer_binding_size;
        if bytes > max {
            return crate::error::limit_err(
                op,
                format!(
                    "{what} needs {bytes} bytes, over this device's storage binding limit of {max} bytes"
                ),
            );
        }
        Ok(())
    }

    /// Waits until all submitted work is done (natively; a browser's
    /// device runs on its own, and readbacks wait for it there).
    pub fn wait(&self) -> Result<()> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| Error::Gpu {
                context: "waiting for the device".into(),
                msg: e.to_string(),
            })
    }

    /// The pipeline cache's file and the bytes read from it at start; None
    /// where there is no cache (none asked for, or the backend has none).
    pub fn pipeline_cache_file(&self) -> Option<(&Path, usize)> {
        self.pipeline_cache
            .as_ref()
            .map(|c| (c.path(), c.bytes_read()))
    }

    /// The largest number of workgroups one dispatch dimension may have.
    pub fn max_workgroups(&self) -> u32 {
        self.limits.max_compute_workgroups_per_dimension
    }
}

impl Drop for Gpu {
    /// Writes the pipeline cache back if the driver's data changed; a cache
    /// that cannot be written costs the next start its compiles, not this
    /// run, so that is a warning.
    fn drop(&mut self) {
        if let Some(c) = &self.pipeline_cache {
            if let Err(e) = c.save() {
                log::warn!("pipeline cache not saved: {e}");
            }
        }
    }
}
