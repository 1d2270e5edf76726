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
            naga::valid::Capabilities::default(),
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

#[test]
fn binding_access_comes_from_the_declarations() {
    let w = gan_gpu::shaders::storage_writes("matmul");
    assert_eq!(w.get(&1), Some(&false));
    assert_eq!(w.get(&3), Some(&true));
    assert_eq!(w.get(&4), Some(&false));
}
