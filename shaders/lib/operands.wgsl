// The vec4 matrix kernels' two operands, A at binding 1 and B at binding 2,
// read as vec4s through a_vec4 and b_vec4: from storage buffers here. The
// *_texels variants of the subgroup kernel files read the same elements
// from textures instead (operands_texels.wgsl, chosen per adapter in
// src/gpu/mod.rs).

@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;

fn a_vec4(i: u32) -> vec4<f32> {
    return a[i];
}

fn b_vec4(i: u32) -> vec4<f32> {
    return b[i];
}
