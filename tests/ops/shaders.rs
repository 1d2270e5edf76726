//! Every shader file parses and validates offline with naga, so a shader
//! error fails here without any GPU; every Rust struct a shader mirrors
//! matches the layout naga reflects; the README's table names every
//! shader file and the files it points to exist.

use std::collections::BTreeSet;
use std::path::Path;

fn module(name: &str) -> naga::Module {
    let src = gan_gpu::shaders::source(name).unwrap();
    naga::front::wgsl::parse_str(&src)
        .unwrap_or_else(|e| panic!("shaders/{name}.wgsl: {}", e.emit_to_string(&src)))
}

fn files_in(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().to_string();
            name.strip_suffix(".wgsl").map(str::to_string)
        })
        .collect()
}

#[test]
fn every_shader_validates_with_naga() {
    for name in gan_gpu::shaders::modules() {
        let src = gan_gpu::shaders::source(name).unwrap();
        let module = module(name);
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
    }
    let loaded: BTreeSet<String> = gan_gpu::shaders::names().map(str::to_string).collect();
    assert_eq!(
        loaded,
        files_in("shaders"),
        "every file in shaders/ is a kernel file the crate loads"
    );
    let libs: BTreeSet<String> = gan_gpu::shaders::lib_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        libs,
        files_in("shaders/lib"),
        "every file in shaders/lib/ is a library some kernel file uses"
    );
}

/// Each Rust struct that a WGSL struct mirrors has the same named fields at
/// the same offsets, and the same size.
#[test]
fn rust_and_wgsl_layouts_agree() {
    let mirrors = gan_gpu::ops::mirrors();
    assert!(mirrors.len() >= 12);
    for m in mirrors {
        let module = module(m.shader);
        let (ty, span, members) = module
            .types
            .iter()
            .find_map(|(_, t)| match &t.inner {
                naga::TypeInner::Struct { members, span } if t.name.as_deref() == Some(m.wgsl) => {
                    Some((t, *span, members))
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("shaders/{}.wgsl has no struct {}", m.shader, m.wgsl));
        let wgsl: Vec<(String, usize)> = members
            .iter()
            .filter_map(|mem| {
                let name = mem.name.clone().unwrap_or_default();
                (!name.starts_with('_')).then_some((name, mem.offset as usize))
            })
            .collect();
        let rust: Vec<(String, usize)> =
            m.fields.iter().map(|(n, o)| (n.to_string(), *o)).collect();
        assert_eq!(
            rust, wgsl,
            "{} and {} in shaders/{}.wgsl ({:?}) differ",
            m.rust, m.wgsl, m.shader, ty.name
        );
        assert_eq!(
            m.size, span as usize,
            "{} is {} bytes, {} in shaders/{}.wgsl {span}",
            m.rust, m.size, m.wgsl, m.shader
        );
    }
}

/// Every kernel on the 1-D grid runs `GRID_WORKGROUP` invocations, the
/// workgroup size `ops::grid` dispatches for.
#[test]
fn grid_kernels_match_the_rust_grid() {
    let mut checked = 0;
    for name in gan_gpu::shaders::names() {
        let module = module(name);
        let Some(value) = module
            .constants
            .iter()
            .find_map(|(_, c)| (c.name.as_deref() == Some("GRID_WORKGROUP")).then_some(c.init))
        else {
            continue;
        };
        let naga::Expression::Literal(naga::Literal::U32(size)) = module.global_expressions[value]
        else {
            panic!("shaders/{name}.wgsl: GRID_WORKGROUP is not a u32 literal");
        };
        assert_eq!(size as usize, gan_gpu::ops::grid::WORKGROUP);
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} files use the grid library");
}

#[test]
fn binding_access_comes_from_the_declarations() {
    let w = gan_gpu::shaders::storage_writes("matmul");
    assert_eq!(w.get(&1), Some(&false));
    assert_eq!(w.get(&3), Some(&true));
    assert_eq!(w.get(&4), Some(&false));
}

/// The texel variants differ from their files only in how A and B are
/// read: bindings 1 and 2 become textures, every other binding keeps its
/// access, and the files without a variant have no textures.
#[test]
fn texel_variants_read_a_and_b_as_textures_and_nothing_else() {
    use gan_gpu::shaders::{modules, storage_writes, texel_variant, texture_bindings};
    let mut variants = 0;
    for name in gan_gpu::shaders::names() {
        assert!(texture_bindings(name).is_empty(), "{name}");
        let Some(variant) = texel_variant(name) else {
            continue;
        };
        variants += 1;
        assert!(modules().any(|m| m == variant), "{variant} is compiled");
        let mut textures = texture_bindings(variant);
        textures.sort_unstable();
        assert_eq!(textures, [1, 2], "{variant}");
        let mut storage = storage_writes(name);
        assert_eq!(
            (storage.remove(&1), storage.remove(&2)),
            (Some(false), Some(false)),
            "{name}"
        );
        assert_eq!(storage, storage_writes(variant), "{variant}");
    }
    assert_eq!(variants, 2);
    let width = gan_gpu::gpu::texels::TEXELS_WIDTH;
    let src = gan_gpu::shaders::source("matmul_subgroup_texels").unwrap();
    assert!(
        src.contains(&format!("const TEXELS_WIDTH: u32 = {width}u;")),
        "operands_texels.wgsl mirrors gpu::texels::TEXELS_WIDTH ({width})"
    );
}

/// The README's "Where things live" table names every shader file, and
/// every path it gives exists, so a reader following it never lands on
/// nothing.
#[test]
fn readme_table_names_every_shader_and_existing_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("## Where things live"))
        .take_while(|l| !l.starts_with("## ") || l.starts_with("## Where"))
        .filter(|l| l.starts_with('|'))
        .collect();
    assert!(table.len() > 5, "README has no 'Where things live' table");
    let text = table.join("\n");
    for name in gan_gpu::shaders::names() {
        assert!(
            text.contains(&format!("`shaders/{name}.wgsl`")),
            "README's table misses shaders/{name}.wgsl"
        );
    }
    for path in text.split('`').skip(1).step_by(2) {
        if path.contains('/') && !path.contains(' ') {
            assert!(
                root.join(path.trim_end_matches('/')).exists(),
                "README's table names {path}, which does not exist"
            );
        }
    }
}

/// No dead kernels: every entry point of every shader is named by the Rust
/// code that dispatches it (a kernel only tests reach would fail this).
#[test]
fn every_entry_point_is_dispatched_from_src() {
    let mut sources = String::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                sources.push_str(&std::fs::read_to_string(p).unwrap());
            }
        }
    }
    let mut count = 0;
    for name in gan_gpu::shaders::names() {
        for ep in module(name).entry_points {
            assert!(
                sources.contains(&format!("\"{}\"", ep.name)),
                "shaders/{name}.wgsl: entry point {} is never dispatched from src/",
                ep.name
            );
            count += 1;
        }
    }
    assert!(count > 40, "{count} entry points");
}
