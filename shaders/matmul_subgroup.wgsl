// matmul_vec4.wgsl's kernels with the loads of A shared through subgroup
// shuffles, for adapters with subgroups of 8 or more lanes, plus two
// convolution products that gather A straight from an NHWC image instead
// of reading a materialised im2col matrix (implicit GEMM).
//
// In a workgroup of 64 invocations, the 8 consecutive invocations
// 8y .. 8y + 7 compute the same 8 rows of C for 8 different column blocks,
// so they all need the same values of A. Instead of each loading all of
// them, one lane of the 8 loads each vec4 and the others read it with
// subgroupShuffle: 16 loads per 256 multiply-adds become 9. This relies on
// each aligned group of 8 invocations lying in one subgroup as lanes
// base .. base + 7 (subgroups are contiguous runs of a 1-D workgroup's
// invocations, and every subgroup size used here is a multiple of 8);
// src/ops/matmul.rs uses this file only when the adapter's smallest
// subgroup has at least 8 lanes. No invocation returns early: every lane
// takes part in every shuffle, and only the stores are guarded.
//   nn: A [M,K], B [K,N]   (K, N multiples of 4)
//   tn: A [K,M], B [K,N]   (M, N multiples of 4)
//   nt: A [M,K], B [N,K]   (K, N multiples of 4)
//   nn_any_k: nn for any K (A read as scalars, K padded with zeros to a
//             multiple of 4), tn_any_m: tn for any M, nt_any_n: nt for any
//             N (C written as scalars): the one-channel convolutions, whose
//             5·5·1 = 25 columns are no multiple of 4
//   conv_nn: A = im2col(image) [M = patches, K = kh·kw·c]   (c, N multiples of 4)
//   conv_tn: A = im2col(image) stored [K = patches, M = kh·kw·c]   (c multiple of 8, N of 4)
// (im2col as in conv.wgsl: row = patch (b, oy, ox), column = (ky, kx, ci).)

struct Params {
    m: u32,
    n: u32,
    k: u32,
    // tn kernels: the length of one slice of K (0: all of K). Slice z of the
    // grid sums its slice into C + z·M·N; src/ops/matmul.rs then adds the
    // slices (split-K, for weight gradients whose outputs are too small to
    // fill the device).
    k_split: u32,
    a_stride_m: u32,
    a_stride_k: u32,
    b_stride_k: u32,
    b_stride_n: u32,
    // conv_*: the image [.., h, w, 4·c4] and its patch grid
    h: u32,
    w: u32,
    c4: u32,
    oh: u32,
    ow: u32,
    kh: u32,
    kw: u32,
    stride: u32,
    pad_top: u32,
    pad_left: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// A, or the image for conv_*
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<vec4<f32>>;
// Scalar views for the *_any_* kernels, whose A rows (or C rows) are not
// whole vec4s: A for nn_any_k and tn_any_m, C for nt_any_n.
@group(0) @binding(5) var<storage, read> a_scalar: array<f32>;
@group(0) @binding(6) var<storage, read_write> c_scalar: array<f32>;

// Where this invocation's C starts, in vec4s: slice z's partial sums for a
// split-K tn product, else 0.
var<private> c_base: u32;

// The K range [x, y) of slice `z` of a split-K product.
fn k_range(z: u32) -> vec2<u32> {
    if p.k_split == 0u {
        return vec2(0u, p.k);
    }
    let kb = min(z * p.k_split, p.k);
    return vec2(kb, min(p.k, kb + p.k_split));
}


fn store_row(row: u32, col0: u32, lo: vec4<f32>, hi: vec4<f32>) {
    if row >= p.m || col0 >= p.n {
        return;
    }
    let base = c_base + (row * p.n + col0) / 4u;
    c[base] = lo;
    if col0 + 4u < p.n {
        c[base + 1u] = hi;
    }
}

fn store_block(row0: u32, col0: u32, acc: array<vec4<f32>, 16>, bias_lo: vec4<f32>, bias_hi: vec4<f32>) {
    store_row(row0 + 0u, col0, acc[0] + bias_lo, acc[1] + bias_hi);
    store_row(row0 + 1u, col0, acc[2] + bias_lo, acc[3] + bias_hi);
    store_row(row0 + 2u, col0, acc[4] + bias_lo, acc[5] + bias_hi);
    store_row(row0 + 3u, col0, acc[6] + bias_lo, acc[7] + bias_hi);
    store_row(row0 + 4u, col0, acc[8] + bias_lo, acc[9] + bias_hi);
    store_row(row0 + 5u, col0, acc[10] + bias_lo, acc[11] + bias_hi);
    store_row(row0 + 6u, col0, acc[12] + bias_lo, acc[13] + bias_hi);
    store_row(row0 + 7u, col0, acc[14] + bias_lo, acc[15] + bias_hi);
}

fn bias_pair(col0: u32) -> array<vec4<f32>, 2> {
    let n4 = p.n / 4u;
    let cb0 = min(col0 / 4u, n4 - 1u);
    return array(bias[cb0], bias[min(cb0 + 1u, n4 - 1u)]);
}

// The 8 rows' vec4s of A, each loaded by one lane of the group.
fn shuffle8(mine: vec4<f32>, base: u32) -> array<vec4<f32>, 8> {
    return array(subgroupShuffle(mine, base + 0u), subgroupShuffle(mine, base + 1u), subgroupShuffle(mine, base + 2u), subgroupShuffle(mine, base + 3u), subgroupShuffle(mine, base + 4u), subgroupShuffle(mine, base + 5u), subgroupShuffle(mine, base + 6u), subgroupShuffle(mine, base + 7u));
}

// a[i] = A[row i, k .. k + 4]; b[2r + h] = B[k + r, half h of the 8 columns].
fn update_nn(acc: ptr<function, array<vec4<f32>, 16>>, a: array<vec4<f32>, 8>, b: array<vec4<f32>, 8>) {
    (*acc)[0] = fma(vec4(a[0].w), b[6], fma(vec4(a[0].z), b[4], fma(vec4(a[0].y), b[2], fma(vec4(a[0].x), b[0], (*acc)[0]))));
    (*acc)[1] = fma(vec4(a[0].w), b[7], fma(vec4(a[0].z), b[5], fma(vec4(a[0].y), b[3], fma(vec4(a[0].x), b[1], (*acc)[1]))));
    (*acc)[2] = fma(vec4(a[1].w), b[6], fma(vec4(a[1].z), b[4], fma(vec4(a[1].y), b[2], fma(vec4(a[1].x), b[0], (*acc)[2]))));
    (*acc)[3] = fma(vec4(a[1].w), b[7], fma(vec4(a[1].z), b[5], fma(vec4(a[1].y), b[3], fma(vec4(a[1].x), b[1], (*acc)[3]))));
    (*acc)[4] = fma(vec4(a[2].w), b[6], fma(vec4(a[2].z), b[4], fma(vec4(a[2].y), b[2], fma(vec4(a[2].x), b[0], (*acc)[4]))));
    (*acc)[5] = fma(vec4(a[2].w), b[7], fma(vec4(a[2].z), b[5], fma(vec4(a[2].y), b[3], fma(vec4(a[2].x), b[1], (*acc)[5]))));
    (*acc)[6] = fma(vec4(a[3].w), b[6], fma(vec4(a[3].z), b[4], fma(vec4(a[3].y), b[2], fma(vec4(a[3].x), b[0], (*acc)[6]))));
    (*acc)[7] = fma(vec4(a[3].w), b[7], fma(vec4(a[3].z), b[5], fma(vec4(a[3].y), b[3], fma(vec4(a[3].x), b[1], (*acc)[7]))));
    (*acc)[8] = fma(vec4(a[4].w), b[6], fma(vec4(a[4].z), b[4], fma(vec4(a[4].y), b[2], fma(vec4(a[4].x), b[0], (*acc)[8]))));
    (*acc)[9] = fma(vec4(a[4].w), b[7], fma(vec4(a[4].z), b[5], fma(vec4(a[4].y), b[3], fma(vec4(a[4].x), b[1], (*acc)[9]))));
    (*acc)[10] = fma(vec4(a[5].w), b[6], fma(vec4(a[5].z), b[4], fma(vec4(a[5].y), b[2], fma(vec4(a[5].x), b[0], (*acc)[10]))));
    (*acc)[11] = fma(vec4(a[5].w), b[7], fma(vec4(a[5].z), b[5], fma(vec4(a[5].y), b[3], fma(vec4(a[5].x), b[1], (*acc)[11]))));
    (*acc)[12] = fma(vec4(a[6].w), b[6], fma(vec4(a[6].z), b[4], fma(vec4(a[6].y), b[2], fma(vec4(a[6].x), b[0], (*acc)[12]))));
    (*acc)[13] = fma(vec4(a[6].w), b[7], fma(vec4(a[6].z), b[5], fma(vec4(a[6].y), b[3], fma(vec4(a[6].x), b[1], (*acc)[13]))));
    (*acc)[14] = fma(vec4(a[7].w), b[6], fma(vec4(a[7].z), b[4], fma(vec4(a[7].y), b[2], fma(vec4(a[7].x), b[0], (*acc)[14]))));
    (*acc)[15] = fma(vec4(a[7].w), b[7], fma(vec4(a[7].z), b[5], fma(vec4(a[7].y), b[3], fma(vec4(a[7].x), b[1], (*acc)[15]))));
}

// a[i] = A[row i, k .. k + 4]; b[j] = B[k .. k + 4, column j].
fn update_nt(acc: ptr<function, array<vec4<f32>, 16>>, a: array<vec4<f32>, 8>, b: array<vec4<f32>, 8>) {
    (*acc)[0] += vec4(dot(a[0], b[0]), dot(a[0], b[1]), dot(a[0], b[2]), dot(a[0], b[3]));
    (*acc)[1] += vec4(dot(a[0], b[4]), dot(a[0], b[5]), dot(a[0], b[6]), dot(a[0], b[7]));
    (*acc)[2] += vec4(dot(a[1], b[0]), dot(a[1], b[1]), dot(a[1], b[2]), dot(a[1], b[3]));
    (*acc)[3] += vec4(dot(a[1], b[4]), dot(a[1], b[5]), dot(a[1], b[6]), dot(a[1], b[7]));
    (*acc)[4] += vec4(dot(a[2], b[0]), dot(a[2], b[1]), dot(a[2], b[2]), dot(a[2], b[3]));
    (*acc)[5] += vec4(dot(a[2], b[4]), dot(a[2], b[5]), dot(a[2], b[6]), dot(a[2], b[7]));
    (*acc)[6] += vec4(dot(a[3], b[0]), dot(a[3], b[1]), dot(a[3], b[2]), dot(a[3], b[3]));
    (*acc)[7] += vec4(dot(a[3], b[4]), dot(a[3], b[5]), dot(a[3], b[6]), dot(a[3], b[7]));
    (*acc)[8] += vec4(dot(a[4], b[0]), dot(a[4], b[1]), dot(a[4], b[2]), dot(a[4], b[3]));
    (*acc)[9] += vec4(dot(a[4], b[4]), dot(a[4], b[5]), dot(a[4], b[6]), dot(a[4], b[7]));
    (*acc)[10] += vec4(dot(a[5], b[0]), dot(a[5], b[1]), dot(a[5], b[2]), dot(a[5], b[3]));
    (*acc)[11] += vec4(dot(a[5], b[4]), dot(a[5], b[5]), dot(a[5], b[6]), dot(a[5], b[7]));
    (*acc)[12] += vec4(dot(a[6], b[0]), dot(a[6], b[1]), dot(a[6], b[2]), dot(a[6], b[3]));
    (*acc)[13] += vec4(dot(a[6], b[4]), dot(a[6], b[5]), dot(a[6], b[6]), dot(a[6], b[7]));
    (*acc)[14] += vec4(dot(a[7], b[0]), dot(a[7], b[1]), dot(a[7], b[2]), dot(a[7], b[3]));
    (*acc)[15] += vec4(dot(a[7], b[4]), dot(a[7], b[5]), dot(a[7], b[6]), dot(a[7], b[7]));
}

// One k: a_lo, a_hi = A[k, rows 0..4, 4..8]; b_lo, b_hi = B[k, columns 0..4, 4..8].
fn update_tn(acc: ptr<function, array<vec4<f32>, 16>>, a_lo: vec4<f32>, a_hi: vec4<f32>, b_lo: vec4<f32>, b_hi: vec4<f32>) {
    (*acc)[0] = fma(vec4(a_lo.x), b_lo, (*acc)[0]);
    (*acc)[1] = fma(vec4(a_lo.x), b_hi, (*acc)[1]);
    (*acc)[2] = fma(vec4(a_lo.y), b_lo, (*acc)[2]);
    (*acc)[3] = fma(vec4(a_lo.y), b_hi, (*acc)[3]);
    (*acc)[4] = fma(vec4(a_lo.z), b_lo, (*acc)[4]);
    (*acc)[5] = fma(vec4(a_lo.z), b_hi, (*acc)[5]);
    (*acc)[6] = fma(vec4(a_lo.w), b_lo, (*acc)[6]);
    (*acc)[7] = fma(vec4(a_lo.w), b_hi, (*acc)[7]);
    (*acc)[8] = fma(vec4(a_hi.x), b_lo, (*acc)[8]);
    (*acc)[9] = fma(vec4(a_hi.x), b_hi, (*acc)[9]);
    (*acc)[10] = fma(vec4(a_hi.y), b_lo, (*acc)[10]);
    (*acc)[11] = fma(vec4(a_hi.y), b_hi, (*acc)[11]);
    (*acc)[12] = fma(vec4(a_hi.z), b_lo, (*acc)[12]);
    (*acc)[13] = fma(vec4(a_hi.z), b_hi, (*acc)[13]);
    (*acc)[14] = fma(vec4(a_hi.w), b_lo, (*acc)[14]);
    (*acc)[15] = fma(vec4(a_hi.w), b_hi, (*acc)[15]);
}

// B[k4·4 .. k4·4 + 4, col block] for nn, in update_nn's order.
fn load_b_nn(k4: u32, cb0: u32, cb1: u32) -> array<vec4<f32>, 8> {
    let n4 = p.n / 4u;
    let kb = k4 * 4u * n4;
    return array(b[kb + cb0], b[kb + cb1], b[kb + n4 + cb0], b[kb + n4 + cb1], b[kb + 2u * n4 + cb0], b[kb + 2u * n4 + cb1], b[kb + 3u * n4 + cb0], b[kb + 3u * n4 + cb1]);
}

fn col_blocks(col0: u32) -> vec2<u32> {
    let n4 = p.n / 4u;
    let cb0 = min(col0 / 4u, n4 - 1u);
    return vec2(cb0, min(cb0 + 1u, n4 - 1u));
}

fn block_nn(row0: u32, col0: u32, lane: u32, base: u32) -> array<vec4<f32>, 16> {
    let k4 = p.k / 4u;
    // This lane loads row `lane` of the block; the others take it by shuffle.
    let r_mine = min(row0 + lane, p.m - 1u) * k4;
    let cb = col_blocks(col0);
    var acc: array<vec4<f32>, 16>;
    for (var kk = 0u; kk < k4; kk++) {
        update_nn(&acc, shuffle8(a[r_mine + kk], base), load_b_nn(kk, cb.x, cb.y));
    }
    return acc;
}

fn block_nt(row0: u32, col0: u32, lane: u32, base: u32) -> array<vec4<f32>, 16> {
    let k4 = p.k / 4u;
    let r_mine = min(row0 + lane, p.m - 1u) * k4;
    var s: array<u32, 8>;
    for (var j = 0u; j < 8u; j++) {
        s[j] = min(col0 + j, p.n - 1u) * k4;
    }
    var acc: array<vec4<f32>, 16>;
    for (var kk = 0u; kk < k4; kk++) {
        let bs = array(b[s[0] + kk], b[s[1] + kk], b[s[2] + kk], b[s[3] + kk], b[s[4] + kk], b[s[5] + kk], b[s[6] + kk], b[s[7] + kk]);
        update_nt(&acc, shuffle8(a[r_mine + kk], base), bs);
    }
    return acc;
}

fn block_tn(row0: u32, col0: u32, lane: u32, base: u32, ks: vec2<u32>) -> array<vec4<f32>, 16> {
    let m4 = p.m / 4u;
    let n4 = p.n / 4u;
    let ra0 = min(row0 / 4u, m4 - 1u);
    let ra1 = min(ra0 + 1u, m4 - 1u);
    let cb = col_blocks(col0);
    let cb0 = cb.x;
    let cb1 = cb.y;
    // Lane g loads half g % 2 of the block's A rows at step g / 2 of each
    // group of 4 k; the others take it by shuffle.
    let my_half = select(ra0, ra1, lane % 2u == 1u);
    var acc: array<vec4<f32>, 16>;
    let k_full = ks.x + (ks.y - ks.x) / 4u * 4u;
    for (var k0 = ks.x; k0 < k_full; k0 += 4u) {
        let mine = a[(k0 + lane / 2u) * m4 + my_half];
        update_tn(&acc, subgroupShuffle(mine, base + 0u), subgroupShuffle(mine, base + 1u), b[(k0 + 0u) * n4 + cb0], b[(k0 + 0u) * n4 + cb1]);
        update_tn(&acc, subgroupShuffle(mine, base + 2u), subgroupShuffle(mine, base + 3u), b[(k0 + 1u) * n4 + cb0], b[(k0 + 1u) * n4 + cb1]);
        update_tn(&acc, subgroupShuffle(mine, base + 4u), subgroupShuffle(mine, base + 5u), b[(k0 + 2u) * n4 + cb0], b[(k0 + 2u) * n4 + cb1]);
        update_tn(&acc, subgroupShuffle(mine, base + 6u), subgroupShuffle(mine, base + 7u), b[(k0 + 3u) * n4 + cb0], b[(k0 + 3u) * n4 + cb1]);
    }
    // The last K % 4 steps, without sharing.
    for (var kk = k_full; kk < ks.y; kk++) {
        update_tn(&acc, a[kk * m4 + ra0], a[kk * m4 + ra1], b[kk * n4 + cb0], b[kk * n4 + cb1]);
    }
    return acc;
}

// The vec4 of image channels 4·ci4 .. 4·ci4 + 4 that im2col puts at
// (patch, tap (ky, kx)), or zeros where the tap falls in the padding.
fn image_vec4(patch_row: u32, ky: u32, kx: u32, ci4: u32) -> vec4<f32> {
    let ox = patch_row % p.ow;
    let oy = (patch_row / p.ow) % p.oh;
    let bi = patch_row / (p.ow * p.oh);
    let iy = i32(oy * p.stride + ky) - i32(p.pad_top);
    let ix = i32(ox * p.stride + kx) - i32(p.pad_left);
    let inside = iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
    let pixel = select(0u, (bi * p.h + u32(iy)) * p.w + u32(ix), inside);
    return select(vec4(0.0), a[pixel * p.c4 + ci4], inside);
}

fn block_conv_nn(row0: u32, col0: u32, lane: u32, base: u32) -> array<vec4<f32>, 16> {
    let patch_row = min(row0 + lane, p.m - 1u);
    let ox = patch_row % p.ow;
    let oy = (patch_row / p.ow) % p.oh;
    let bi = patch_row / (p.ow * p.oh);
    let y0 = i32(oy * p.stride) - i32(p.pad_top);
    let x0 = i32(ox * p.stride) - i32(p.pad_left);
    let cb = col_blocks(col0);
    var acc: array<vec4<f32>, 16>;
    var kk = 0u;
    for (var ky = 0u; ky < p.kh; ky++) {
        let iy = y0 + i32(ky);
        for (var kx = 0u; kx < p.kw; kx++) {
            let ix = x0 + i32(kx);
            let inside = iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
            let pixel = select(0u, ((bi * p.h + u32(iy)) * p.w + u32(ix)) * p.c4, inside);
            for (var ci4 = 0u; ci4 < p.c4; ci4++) {
                let mine = select(vec4(0.0), a[pixel + ci4], inside);
                update_nn(&acc, shuffle8(mine, base), load_b_nn(kk, cb.x, cb.y));
                kk++;
            }
        }
    }
    return acc;
}

fn block_conv_tn(row0: u32, col0: u32, lane: u32, base: u32, ks: vec2<u32>) -> array<vec4<f32>, 16> {
    let n4 = p.n / 4u;
    // The block's 8 rows of C are 8 channels of one tap: c is a multiple of 8.
    let j0 = min(row0, p.m - 8u);
    let c = p.c4 * 4u;
    let tap = j0 / c;
    let ky = tap / p.kw;
    let kx = tap % p.kw;
    let ci4 = (j0 % c) / 4u;
    let cb = col_blocks(col0);
    let cb0 = cb.x;
    let cb1 = cb.y;
    var acc: array<vec4<f32>, 16>;
    let k_full = ks.x + (ks.y - ks.x) / 4u * 4u;
    for (var k0 = ks.x; k0 < k_full; k0 += 4u) {
        let mine = image_vec4(k0 + lane / 2u, ky, kx, ci4 + lane % 2u);
        update_tn(&acc, subgroupShuffle(mine, base + 0u), subgroupShuffle(mine, base + 1u), b[(k0 + 0u) * n4 + cb0], b[(k0 + 0u) * n4 + cb1]);
        update_tn(&acc, subgroupShuffle(mine, base + 2u), subgroupShuffle(mine, base + 3u), b[(k0 + 1u) * n4 + cb0], b[(k0 + 1u) * n4 + cb1]);
        update_tn(&acc, subgroupShuffle(mine, base + 4u), subgroupShuffle(mine, base + 5u), b[(k0 + 2u) * n4 + cb0], b[(k0 + 2u) * n4 + cb1]);
        update_tn(&acc, subgroupShuffle(mine, base + 6u), subgroupShuffle(mine, base + 7u), b[(k0 + 3u) * n4 + cb0], b[(k0 + 3u) * n4 + cb1]);
    }
    for (var kk = k_full; kk < ks.y; kk++) {
        update_tn(&acc, image_vec4(kk, ky, kx, ci4), image_vec4(kk, ky, kx, ci4 + 1u), b[kk * n4 + cb0], b[kk * n4 + cb1]);
    }
    return acc;
}

// A[row, k] of a row-major [M, K] A, zero for k ≥ K.
fn a_at(row: u32, k: u32) -> f32 {
    return select(0.0, a_scalar[row * p.k + min(k, p.k - 1u)], k < p.k);
}

// B rows k .. k + 4 (clamped to K - 1: A is zero there) for nn_any_k.
fn load_b_rows(k: u32, cb0: u32, cb1: u32) -> array<vec4<f32>, 8> {
    let n4 = p.n / 4u;
    let r0 = min(k, p.k - 1u) * n4;
    let r1 = min(k + 1u, p.k - 1u) * n4;
    let r2 = min(k + 2u, p.k - 1u) * n4;
    let r3 = min(k + 3u, p.k - 1u) * n4;
    return array(b[r0 + cb0], b[r0 + cb1], b[r1 + cb0], b[r1 + cb1], b[r2 + cb0], b[r2 + cb1], b[r3 + cb0], b[r3 + cb1]);
}

fn block_nn_any_k(row0: u32, col0: u32, lane: u32, base: u32) -> array<vec4<f32>, 16> {
    let row = min(row0 + lane, p.m - 1u);
    let cb = col_blocks(col0);
    var acc: array<vec4<f32>, 16>;
    for (var k = 0u; k < p.k; k += 4u) {
        let mine = vec4(a_at(row, k), a_at(row, k + 1u), a_at(row, k + 2u), a_at(row, k + 3u));
        update_nn(&acc, shuffle8(mine, base), load_b_rows(k, cb.x, cb.y));
    }
    return acc;
}

// A[k, m .. m + 4] of a row-major [K, M] A (columns clamped to M - 1: those
// rows of C are never stored).
fn a_row4(k: u32, m: u32) -> vec4<f32> {
    let r = k * p.m;
    let last = p.m - 1u;
    return vec4(a_scalar[r + min(m, last)], a_scalar[r + min(m + 1u, last)], a_scalar[r + min(m + 2u, last)], a_scalar[r + min(m + 3u, last)]);
}

fn block_tn_any_m(row0: u32, col0: u32, lane: u32, base: u32, ks: vec2<u32>) -> array<vec4<f32>, 16> {
    let n4 = p.n / 4u;
    let cb = col_blocks(col0);
    let cb0 = cb.x;
    let cb1 = cb.y;
    var acc: array<vec4<f32>, 16>;
    let k_full = ks.x + (ks.y - ks.x) / 4u * 4u;
    for (var k0 = ks.x; k0 < k_full; k0 += 4u) {
        let mine = a_row4(k0 + lane / 2u, row0 + 4u * (lane % 2u));
        update_tn(&acc, subgroupShuffle(mine, base + 0u), subgroupShuffle(mine, base + 1u), b[(k0 + 0u) * n4 + cb0], b[(k0 + 0u) * n4 + cb1]);
        update_tn(&acc, subgroupShuffle(mine, base + 2u), subgroupShuffle(mine, base + 3u), b[(k0 + 1u) * n4 + cb0], b[(k0 + 1u) * n4 + cb1]);
        update_tn(&acc, subgroupShuffle(mine, base + 4u), subgroupShuffle(mine, base + 5u), b[(k0 + 2u) * n4 + cb0], b[(k0 + 2u) * n4 + cb1]);
        update_tn(&acc, subgroupShuffle(mine, base + 6u), subgroupShuffle(mine, base + 7u), b[(k0 + 3u) * n4 + cb0], b[(k0 + 3u) * n4 + cb1]);
    }
    for (var kk = k_full; kk < ks.y; kk++) {
        update_tn(&acc, a_row4(kk, row0), a_row4(kk, row0 + 4u), b[kk * n4 + cb0], b[kk * n4 + cb1]);
    }
    return acc;
}

// nt with C stored as scalars (N need not be a multiple of 4).
fn store_block_scalar(row0: u32, col0: u32, acc: array<vec4<f32>, 16>) {
    for (var i = 0u; i < 8u; i++) {
        let row = row0 + i;
        let v = array(acc[2u * i].x, acc[2u * i].y, acc[2u * i].z, acc[2u * i].w, acc[2u * i + 1u].x, acc[2u * i + 1u].y, acc[2u * i + 1u].z, acc[2u * i + 1u].w);
        for (var j = 0u; j < 8u; j++) {
            if row < p.m && col0 + j < p.n {
                c_scalar[row * p.n + col0 + j] = v[j];
            }
        }
    }
}

@compute @workgroup_size(64)
fn matmul_nn(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) sg_lane: u32,
) {
    let row0 = (wid.y * 8u + lid / 8u) * 8u;
    let col0 = (wid.x * 8u + lid % 8u) * 8u;
    let lane = sg_lane % 8u;
    let base = sg_lane - lane;
    store_block(row0, col0, block_nn(row0, col0, lane, base), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn matmul_nn_bias(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) sg_lane: u32,
) {
    let row0 = (wid.y * 8u + lid / 8u) * 8u;
    let col0 = (wid.x * 8u + lid % 8u) * 8u;
    let lane = sg_lane % 8u;
    let base = sg_lane - lane;
    let bb = bias_pair(col0);
    store_block(row0, col0, block_nn(row0, col0, lane, base), bb[0], bb[1]);
}

@compute @workgroup_size(64)
fn matmul_tn(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) sg_lane: u32,
) {
    let row0 = (wid.y * 8u + lid / 8u) * 8u;
    let col0 = (wid.x * 8u + lid % 8u) * 8u;
    let lane = sg_lane % 8u;
    let base = sg_lane - lane;
    c_base = wid.z * p.m * p.n / 4u;
    store_block(row0, col0, block_tn(row0, col0, lane, base, k_range(wid.z)), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn matmul_nt(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) sg_lane: u32,
) {
    let row0 = (wid.y * 8u + lid / 8u) * 8u;
    let col0 = (wid.x * 8u + lid % 8u) * 8u;
    let lane = sg_lane % 8u;
    let base = sg_lane - lane;
    store_block(row0, col0, block_nt(row0, col0, lane, base), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn conv_nn(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) sg_lane: u32,
) {
    let row0 = (wid.y * 8u + lid / 8u) * 8u;
    let col0 = (wid.x * 8u + lid % 8u) * 8u;
    let lane = sg_lane % 8u;
    let base = sg_lane - lane;
    store_block(row0, col0, block_conv_nn(row0, col0, lane, base), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn conv_nn_bias(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) sg_lane: u32,
) {
    let row0 = (wid.y * 8u + lid / 8u) * 8u;
    let col0 = (wid.x * 8u + lid % 8u) * 8u;
    let lane = sg_lane % 8u;
    let base = sg_lane - lane;
    let bb = bias_pair(col0);
    store_block(row0, col0, block_conv_nn(row0, col0, lane, base), bb[0], bb[1]);
}

@compute @workgroup_size(64)
fn conv_tn(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) sg_lane: u32,
) {
    let row0 = (wid.y * 8u + lid / 8u) * 8u;
    let col0 = (wid.x * 8u + lid % 8u) * 8u;
    let lane = sg_lane % 8u;
    let base = sg_lane - lane;
    c_base = wid.z * p.m * p.n / 4u;
    store_block(row0, col0, block_conv_tn(row0, col0, lane, base, k_range(wid.z)), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn matmul_nn_any_k(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) sg_lane: u32,
) {
    let row0 = (wid.y * 8u + lid / 8u) * 8u;
    let col0 = (wid.x * 8u + lid % 8u) * 8u;
    let lane = sg_lane % 8u;
    let base = sg_lane - lane;
    store_block(row0, col0, block_nn_any_k(row0, col0, lane, base), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn matmul_nn_any_k_bias(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) sg_lane: u32,
) {
    let row0 = (wid.y * 8u + lid / 8u) * 8u;
    let col0 = (wid.x * 8u + lid % 8u) * 8u;
    let lane = sg_lane % 8u;
    let base = sg_lane - lane;
    let bb = bias_pair(col0);
    store_block(row0, col0, block_nn_any_k(row0, col0, lane, base), bb[0], bb[1]);
}

@compute @workgroup_size(64)
fn matmul_tn_any_m(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) sg_lane: u32,
) {
    let row0 = (wid.y * 8u + lid / 8u) * 8u;
    let col0 = (wid.x * 8u + lid % 8u) * 8u;
    let lane = sg_lane % 8u;
    let base = sg_lane - lane;
    c_base = wid.z * p.m * p.n / 4u;
    store_block(row0, col0, block_tn_any_m(row0, col0, lane, base, k_range(wid.z)), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn matmul_nt_any_n(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) sg_lane: u32,
) {
    let row0 = (wid.y * 8u + lid / 8u) * 8u;
    let col0 = (wid.x * 8u + lid % 8u) * 8u;
    let lane = sg_lane % 8u;
    let base = sg_lane - lane;
    store_block_scalar(row0, col0, block_nt(row0, col0, lane, base));
}
