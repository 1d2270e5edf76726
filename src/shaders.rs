//! The WGSL sources, compiled into the binary so it runs from anywhere.
//! One file per op family; `rng.wgsl` is a library prepended to the kernels
//! that draw random numbers (WGSL has no include).

const RNG: &str = include_str!("../shaders/rng.wgsl");

/// (name, source) of every kernel file, as written in `shaders/`.
const FILES: &[(&str, &str)] = &[
    ("activations", include_str!("../shaders/activations.wgsl")),
    ("batchnorm", include_str!("../shaders/batchnorm.wgsl")),
    ("conv", include_str!("../shaders/conv.wgsl")),
    ("data", include_str!("../shaders/data.wgsl")),
    ("dropout", include_str!("../shaders/dropout.wgsl")),
    ("loss", include_str!("../shaders/loss.wgsl")),
    ("matmul", include_str!("../shaders/matmul.wgsl")),
    (
        "matmul_subgroup",
        include_str!("../shaders/matmul_subgroup.wgsl"),
    ),
    ("matmul_vec4", include_str!("../shaders/matmul_vec4.wgsl")),
    ("optim", include_str!("../shaders/optim.wgsl")),
    ("random", include_str!("../shaders/random.wgsl")),
    ("reduce", include_str!("../shaders/reduce.wgsl")),
];

const NEEDS_RNG: &[&str] = &["dropout", "random"];

/// The complete source of kernel file `name` (with its prepended library).
pub fn source(name: &str) -> Option<String> {
    let (_, src) = FILES.iter().find(|(n, _)| *n == name)?;
    Some(if NEEDS_RNG.contains(&name) {
        format!("{RNG}\n{src}")
    } else {
        src.to_string()
    })
}

/// Names of every kernel file.
pub fn names() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(n, _)| *n)
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
        let binding = line
            .split("@binding(")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .and_then(|n| n.trim().parse().ok());
        if let Some(b) = binding {
            out.insert(b, line.contains("read_write"));
        }
    }
    out
}
