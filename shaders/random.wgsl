// Random fills (rng.wgsl is prepended): uniform in [lo, hi) for Glorot
// initialisers, normal(mean, std) for the generator's latent noise. The step
// counter makes each training step draw new numbers from the same program.

struct Params {
    len: u32,
    seed: u32,
    salt: u32,
    _pad: u32,
    // uniform: lo, hi; normal: mean, std
    a: f32,
    b: f32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> counter: StepCounter;

@compute @workgroup_size(GRID_WORKGROUP)
fn fill_uniform(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len {
        let key = rng_key(p.seed, p.salt, counter.step);
        out[i] = p.a + (p.b - p.a) * rng_uniform(key, i);
    }
}

@compute @workgroup_size(GRID_WORKGROUP)
fn fill_normal(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i < p.len {
        let key = rng_key(p.seed, p.salt, counter.step);
        out[i] = p.a + p.b * rng_normal(key, i);
    }
}
