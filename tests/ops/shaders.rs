//! Every shader file parses and validates offline with naga, so a shader
//! error fails here without any GPU.

#[test]
fn every_shader_validates_with_naga() {
    let mut count = 0;
    for name in gan_gpu::shaders::names() {
        let src = gan_gpu::shaders::source(name).unwrap();
        let module = naga::front::wgsl::parse_str(&src)
            .unwrap_or_else(|e| panic!("shaders/{name}.wgsl: {}", e.emit_to_string(&src)));
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::default() | naga::valid::Capabilities::SUBGROUP,
        )
        .validate(&module)
        .unwrap_or_else(|e| panic!("shaders/{name}.wgsl: {}", e.emit_to_string(&src)));
        assert!(
            !module.entry_points.is_empty(),
            "shaders/{name}.wgsl has no entry point"
        );
        count += 1;
    }
    assert_eq!(
        count,
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders"))
            .unwrap()
            .count()
            - 1,
        "every file in shaders/ but the rng library is a kernel file the crate loads"
    );
}

/// The subgroup kernels run only with the feature enabled on the device and
/// subgroups of at least 8 lanes; `no_subgroups` turns them off.
#[test]
fn subgroup_kernels_only_where_they_are_valid() {
    let gpu = crate::common::gpu();
    if gpu.subgroup_matmul {
        assert!(gpu.features.contains(wgpu::Features::SUBGROUP) && gpu.info.subgroup_min_size >= 8);
    }
    assert!(!crate::common::gpu_without_subgroups().subgroup_matmul);
}

#[test]
fn binding_access_comes_from_the_declarations() {
    let w = gan_gpu::shaders::storage_writes("matmul");
    assert_eq!(w.get(&1), Some(&false));
    assert_eq!(w.get(&3), Some(&true));
    assert_eq!(w.get(&4), Some(&false));
}
