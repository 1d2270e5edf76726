//! The runtime's error path that a browser takes for every validation
//! error: one that no error scope caught is reported by the next readback,
//! natively as in the browser.

use gan_gpu::gpu::{AdapterChoice, Gpu};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn an_uncaught_gpu_error_fails_the_next_readback() {
    // Its own device: the error stays with the device it happened on.
    let gpu = Gpu::new(&AdapterChoice::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let t = gpu.upload("t", &[4], &[1.0f32, 2.0, 3.0, 4.0]).unwrap();
    assert_eq!(gpu.download::<f32>(&t).await.unwrap(), [1.0, 2.0, 3.0, 4.0]);
    // MAP_READ may only pair with COPY_DST: an invalid buffer, created
    // outside any error scope.
    let _bad = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("invalid on purpose"),
        size: 16,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::STORAGE,
        mapped_at_creation: false,
    });
    let err = gpu.download::<f32>(&t).await.unwrap_err().to_string();
    assert!(
        err.contains("earlier GPU command") && err.contains("invalid on purpose"),
        "{err}"
    );
}

/// The pipeline cache: written when the device is dropped (the subgroup
/// probe has built a pipeline by then), read at the next start, and a
/// damaged file costs nothing but the compiles it would have saved.
#[cfg(not(target_arch = "wasm32"))]
#[pollster::test]
async fn the_pipeline_cache_is_written_read_back_and_survives_damage() {
    use gan_gpu::gpu::Program;
    use gan_gpu::ops::activations::{self, Activation};
    let dir = tempfile::tempdir().unwrap();
    let choice = AdapterChoice {
        pipeline_cache: Some(dir.path().join("pipelines")),
        ..Default::default()
    };
    let open = || async { Gpu::new(&choice).await.unwrap_or_else(|e| panic!("{e}")) };
    let gpu = open().await;
    let Some((path, 0)) = gpu.pipeline_cache_file().map(|(p, n)| (p.to_path_buf(), n)) else {
        // Only Vulkan has a pipeline cache in wgpu; elsewhere there is no file.
        assert_ne!(
            gpu.info.backend,
            wgpu::Backend::Vulkan,
            "Vulkan has a pipeline cache"
        );
        return;
    };
    assert!(
        !path.exists(),
        "nothing is written before the device is dropped"
    );
    drop(gpu);
    let written = std::fs::read(&path).unwrap();
    assert!(!written.is_empty(), "{}", path.display());
    let files = || std::fs::read_dir(path.parent().unwrap()).unwrap().count();
    assert_eq!(files(), 1, "the temporary file is gone");

    // Written through a temporary file and a rename, so a rewrite gives the
    // file a new inode (where there are inodes).
    let inode = || inode_of(&path);
    let first = inode();
    let gpu = open().await;
    assert_eq!(
        gpu.pipeline_cache_file().map(|(_, n)| n),
        Some(written.len())
    );
    drop(gpu);
    assert_eq!(
        inode(),
        first,
        "a cache that did not change is not rewritten"
    );

    // Truncated: wgpu's header check fails, the cache starts empty, the
    // kernels still run, and the drop writes a whole file again.
    std::fs::write(&path, &written[..written.len() / 2]).unwrap();
    let gpu = open().await;
    assert_eq!(
        gpu.pipeline_cache_file().map(|(_, n)| n),
        Some(written.len() / 2)
    );
    let x = gpu.upload("x", &[4], &[1.0f32, -2.0, 3.0, -4.0]).unwrap();
    let y = gpu.zeros("y", &[4]).unwrap();
    let mut p = Program::new();
    activations::forward(&gpu, &mut p, Activation::Tanh, &x, &y).unwrap();
    gpu.run(&p).unwrap();
    let got = gpu.download::<f32>(&y).await.unwrap();
    assert!((got[1] - (-2.0f32).tanh()).abs() < 1e-6, "{got:?}");
    drop(gpu);
    assert_eq!(std::fs::read(&path).unwrap().len(), written.len());
    if first.is_some() {
        assert_ne!(inode(), first, "the damaged file was rewritten");
    }
    assert_eq!(files(), 1);
}

#[cfg(unix)]
fn inode_of(path: &std::path::Path) -> Option<u64> {
    Some(std::os::unix::fs::MetadataExt::ino(
        &std::fs::metadata(path).unwrap(),
    ))
}

#[cfg(all(not(unix), not(target_arch = "wasm32")))]
fn inode_of(_: &std::path::Path) -> Option<u64> {
    None
}
