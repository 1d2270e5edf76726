//! The WGSL sources, compiled into the binary so it runs from anywhere.
//! One file per op family in `shaders/`; WGSL has no include, so the
//! libraries in `shaders/lib/` are prepended to the kernel files that use
//! them, in the order listed here.

/// A library in `shaders/lib/`: (name, source).
type Lib = (&'static str, &'static str);

const GRID: Lib = ("grid", include_str!("../shaders/lib/grid.wgsl"));
const COUNTER: Lib = ("counter", include_str!("../shaders/lib/counter.wgsl"));
const RNG: Lib = ("rng", include_str!("../shaders/lib/rng.wgsl"));
const MATMUL_PARAMS: Lib = (
    "matmul_params",
    include_str!("../shaders/lib/matmul_params.wgsl"),
);
const ACTIVATION: Lib = ("activation", include_str!("../shaders/lib/activation.wgsl"));
const TREE_SUM: Lib = ("tree_sum", include_str!("../shaders/lib/tree_sum.wgsl"));
const TILE_VEC4: Lib = ("tile_vec4", include_str!("../shaders/lib/tile_vec4.wgsl"));
const OPERANDS: Lib = ("operands", include_str!("../shaders/lib/operands.wgsl"));
const OPERANDS_TEXELS: Lib = (
    "operands_texels",
    include_str!("../shaders/lib/operands_texels.wgsl"),
);
const TILE_SUBGROUP: Lib = (
    "tile_subgroup",
    include_str!("../shaders/lib/tile_subgroup.wgsl"),
);

/// A kernel file: its name (as in `shaders/NAME.wgsl`), the libraries it
/// uses and its own source.
struct File {
    name: &'static str,
    libs: &'static [Lib],
    source: &'static str,
}

macro_rules! file {
    ($name:literal, [$($lib:expr),*]) => {
        File {
            name: $name,
            libs: &[$($lib),*],
            source: include_str!(concat!("../shaders/", $name, ".wgsl")),
        }
    };
}

const FILES: &[File] = &[
    file!("activations", [GRID, ACTIVATION]),
    file!("batchnorm", [GRID, ACTIVATION]),
    file!("conv", [GRID, ACTIVATION]),
    file!(
        "conv_implicit",
        [
            MATMUL_PARAMS,
            OPERANDS,
            TILE_VEC4,
            TILE_SUBGROUP,
            COUNTER,
            RNG,
            ACTIVATION
        ]
    ),
    file!("data", [GRID, COUNTER, RNG]),
    file!("dropout", [GRID, COUNTER, RNG, ACTIVATION]),
    file!("ema", [GRID, COUNTER]),
    file!("embedding", [GRID, TREE_SUM]),
    file!("loss", []),
    file!("matmul", [GRID, MATMUL_PARAMS, TREE_SUM]),
    file!(
        "matmul_subgroup",
        [MATMUL_PARAMS, OPERANDS, TILE_VEC4, TILE_SUBGROUP]
    ),
    file!("matmul_vec4", [MATMUL_PARAMS, OPERANDS, TILE_VEC4]),
    file!("optim", [GRID, COUNTER]),
    file!("probe", []),
    file!("random", [GRID, COUNTER, RNG]),
    file!("reduce", [GRID, TREE_SUM]),
    file!("spectral_norm", [GRID, TREE_SUM]),
];

/// The kernel files compiled a second time with their operands A and B
/// read by texel fetch (`operands_texels.wgsl` in place of
/// `operands.wgsl`), and that module's name: the adapters that read
/// textures faster than storage buffers get these (`Gpu::texel_operands`).
const TEXEL_VARIANTS: &[(&str, &str)] = &[
    ("matmul_subgroup", "matmul_subgroup_texels"),
    ("conv_implicit", "conv_implicit_texels"),
];

/// The texel-fetch variant of kernel file `name`, where it has one.
pub fn texel_variant(name: &str) -> Option<&'static str> {
    TEXEL_VARIANTS
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, variant)| *variant)
}

/// The complete source of module `name` (a kernel file or its texel
/// variant), its libraries first.
pub fn source(name: &str) -> Option<String> {
    let (file, texels) = match TEXEL_VARIANTS.iter().find(|(_, v)| *v == name) {
        Some((file, _)) => (*file, true),
        None => (name, false),
    };
    let file = FILES.iter().find(|f| f.name == file)?;
    let mut out = String::new();
    for lib in file.libs {
        let (_, lib) = if texels && *lib == OPERANDS {
            OPERANDS_TEXELS
        } else {
            *lib
        };
        out.push_str(lib);
        out.push('\n');
    }
    out.push_str(file.source);
    Some(out)
}

/// Names of every kernel file.
pub fn names() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|f| f.name)
}

/// Every module the crate compiles: the kernel files, then their texel
/// variants.
pub fn modules() -> impl Iterator<Item = &'static str> {
    names().chain(TEXEL_VARIANTS.iter().map(|(_, variant)| *variant))
}

/// Names of every library in `shaders/lib/` that some kernel file uses.
pub fn lib_names() -> Vec<&'static str> {
    let mut out: Vec<&str> = FILES
        .iter()
        .flat_map(|f| f.libs.iter().map(|(n, _)| *n))
        .chain((!TEXEL_VARIANTS.is_empty()).then_some(OPERANDS_TEXELS.0))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// For each storage binding of group 0 in kernel file `name`: whether the
/// shader declares it `read_write`. Pipelines take their bind group layouts
/// from this, so the Rust side never restates a binding's access.
pub fn storage_writes(name: &str) -> std::collections::HashMap<u32, bool> {
    let mut out = std::collections::HashMap::new();
    let Some(src) = source(name) else {
        return out;
    };
    for line in src.lines() {
        let line = line.trim();
        if !line.starts_with("@group(0)") || !line.contains("var<storage") {
            continue;
        }
        if let Some(b) = binding_of(line) {
            out.insert(b, line.contains("read_write"));
        }
    }
    out
}

/// The bindings of group 0 in module `name` that are textures (the texel
/// variants' operands): the program binds a texture copy of the tensor
/// given for them.
pub fn texture_bindings(name: &str) -> Vec<u32> {
    let Some(src) = source(name) else {
        return Vec::new();
    };
    src.lines()
        .map(str::trim)
        .filter(|line| line.starts_with("@group(0)") && line.contains(": texture_2d<"))
        .filter_map(binding_of)
        .collect()
}

/// The N of a declaration's `@binding(N)`.
fn binding_of(line: &str) -> Option<u32> {
    line.split("@binding(")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.trim().parse().ok())
}
