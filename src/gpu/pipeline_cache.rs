//! wgpu's pipeline cache, kept on disk: what the driver compiled for this
//! adapter's pipelines last time, handed back to it at the next start so
//! that it compiles nothing it has compiled before. Only Vulkan has one in
//! wgpu 30; drivers that compile when the pipeline is created and keep no
//! disk cache of their own gain the most.

use crate::error::Result;
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};

pub(super) struct DiskCache {
    pub cache: wgpu::PipelineCache,
    path: PathBuf,
    /// The length and a hash of what the file held at start (0 bytes: no
    /// file, or another adapter's that wgpu refused). The file is rewritten
    /// only if the driver's data differ; a hash, not the bytes, because a
    /// real driver's cache can run to megabytes.
    read: (usize, u64),
}

impl DiskCache {
    /// The features to ask the device for so that [`DiskCache::open`] works,
    /// or none where the backend has no pipeline cache.
    pub fn features(adapter: &wgpu::Adapter) -> wgpu::Features {
        adapter.features() & wgpu::Features::PIPELINE_CACHE
    }

    /// The cache for `gpu`'s adapter in `dir` (the file is named by wgpu's
    /// key for the adapter), started from the file where there is one.
    /// None where the device has no pipeline cache.
    pub fn open(gpu: &super::Gpu, dir: &Path) -> Option<DiskCache> {
        if !gpu.features.contains(wgpu::Features::PIPELINE_CACHE) {
            return None;
        }
        let path = dir.join(format!(
            "{}.bin",
            wgpu::util::pipeline_cache_key(&gpu.info)?
        ));
        let data = match std::fs::read(&path) {
            Ok(d) => Some(d),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                log::warn!(
                    "pipeline cache {}: {e}; starting an empty one",
                    path.display()
                );
                None
            }
        };
        let create = |data: Option<&[u8]>| {
            gpu.validated("opening the pipeline cache", || {
                // SAFETY: the data is what `get_data` returned on an earlier
                // start, read back from the file named by this adapter's
                // key. wgpu checks its own header (version, adapter, driver
                // key, length) and `fallback` starts an empty cache where
                // the driver's version moved on; the driver checks its own
                // header the same way.
                Ok(unsafe {
                    gpu.device
                        .create_pipeline_cache(&wgpu::PipelineCacheDescriptor {
                            label: Some("gan-gpu pipelines"),
                            data,
                            fallback: true,
                        })
                })
            })
        };
        let (cache, read) = match data.map(|d| (create(Some(&d)), d)) {
            Some((Ok(cache), d)) => (cache, d),
            Some((Err(e), _)) => {
                // Not this adapter's data (another device's file copied
                // over, say), which even `fallback` refuses.
                log::warn!("pipeline cache {} not used: {e}", path.display());
                (create(None).ok()?, Vec::new())
            }
            None => (create(None).ok()?, Vec::new()),
        };
        let read = (read.len(), fingerprint(&read));
        Some(DiskCache { cache, path, read })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn bytes_read(&self) -> usize {
        self.read.0
    }

    /// Writes the driver's data back if they differ from what was read
    /// (where every pipeline came from the cache they do not), atomically,
    /// so that a start reading the file meanwhile sees the old one whole,
    /// and through a temporary file of this process's own, so that two
    /// runs ending together leave one whole file. Whether it wrote.
    pub fn save(&self) -> Result<bool> {
        let unchanged = |d: &Vec<u8>| (d.len(), fingerprint(d)) == self.read;
        let Some(data) = self.cache.get_data().filter(|d| !unchanged(d)) else {
            return Ok(false);
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(crate::error::io_err(dir))?;
        }
        let name = self.path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = self
            .path
            .with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        crate::train::checkpoint::write_atomically_via(&self.path, &tmp, &data)?;
        Ok(true)
    }
}

/// A hash to tell, within one process, whether the data changed.
fn fingerprint(data: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    h.write(data);
    h.finish()
}
