// operands.wgsl's A and B read by texel fetch from rgba32float textures
// TEXELS_WIDTH texels wide: vec4 i of a tensor is texel (i mod width,
// i / width), copied there from its buffer before each dispatch
// (src/gpu/texels.rs, which mirrors the width). Why: on llvmpipe
// (lavapipe) a storage load whose address is not provably uniform is a
// loop over the SIMD lanes with a branch per lane and per component, and
// the matrix products spend most of their time there; a texel fetch is the
// sampler's branch-free gather, and the same products run ~1.35× faster
// (BENCHMARKS.md). The values, and so the bits of C, are the same.

const TEXELS_WIDTH: u32 = 4096u;

@group(0) @binding(1) var a_texels: texture_2d<f32>;
@group(0) @binding(2) var b_texels: texture_2d<f32>;

fn a_vec4(i: u32) -> vec4<f32> {
    return textureLoad(a_texels, vec2(i % TEXELS_WIDTH, i / TEXELS_WIDTH), 0);
}

fn b_vec4(i: u32) -> vec4<f32> {
    return textureLoad(b_texels, vec2(i % TEXELS_WIDTH, i / TEXELS_WIDTH), 0);
}
