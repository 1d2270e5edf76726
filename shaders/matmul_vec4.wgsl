// The fast path of matmul.wgsl for shapes whose contiguous dimensions are
// multiples of 4: C[M,N] = op(A) · op(B) (+ bias[N]) with vec4 loads and
// stores. Three layouts cover every product the layers need:
//   nn: A [M,K], B [K,N]   (K, N multiples of 4)  forward, conv input gradient
//   tn: A [K,M], B [K,N]   (M, N multiples of 4)  weight gradients Aᵀ·B
//   nt: A [M,K], B [N,K]   (K, N multiples of 4)  products with a transposed kernel
// Each invocation owns an 8×8 block of C held in 16 vec4 registers, written
// out with constant indices only, so they can stay in registers (dynamic
// indexing would force them into memory); each
// step loads 16 vec4s for 256 multiply-adds (nn, nt) or 4 for 64 (tn).
// Rows and columns past the edge are clamped on load and skipped on store.
// src/ops/matmul.rs picks this file or the general one.

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
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<vec4<f32>>;

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


// Writes C[row, col0 .. col0 + 8] when inside C (N is a multiple of 4 and
// col0 of 8, so each half is either wholly inside or wholly outside).
fn store_row(row: u32, col0: u32, lo: vec4<f32>, hi: vec4<f32>) {
    if row >= p.m {
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

fn block_nn(row0: u32, col0: u32) -> array<vec4<f32>, 16> {
    let k4 = p.k / 4u;
    let n4 = p.n / 4u;
    let r0 = min(row0 + 0u, p.m - 1u) * k4;
    let r1 = min(row0 + 1u, p.m - 1u) * k4;
    let r2 = min(row0 + 2u, p.m - 1u) * k4;
    let r3 = min(row0 + 3u, p.m - 1u) * k4;
    let r4 = min(row0 + 4u, p.m - 1u) * k4;
    let r5 = min(row0 + 5u, p.m - 1u) * k4;
    let r6 = min(row0 + 6u, p.m - 1u) * k4;
    let r7 = min(row0 + 7u, p.m - 1u) * k4;
    let cb0 = col0 / 4u;
    let cb1 = min(cb0 + 1u, n4 - 1u);
    var acc: array<vec4<f32>, 16>;
    for (var kk = 0u; kk < k4; kk++) {
        let a0 = a[r0 + kk];
        let a1 = a[r1 + kk];
        let a2 = a[r2 + kk];
        let a3 = a[r3 + kk];
        let a4 = a[r4 + kk];
        let a5 = a[r5 + kk];
        let a6 = a[r6 + kk];
        let a7 = a[r7 + kk];
        let kb = kk * 4u * n4;
        let b00 = b[kb + 0u * n4 + cb0];
        let b01 = b[kb + 0u * n4 + cb1];
        let b10 = b[kb + 1u * n4 + cb0];
        let b11 = b[kb + 1u * n4 + cb1];
        let b20 = b[kb + 2u * n4 + cb0];
        let b21 = b[kb + 2u * n4 + cb1];
        let b30 = b[kb + 3u * n4 + cb0];
        let b31 = b[kb + 3u * n4 + cb1];
        acc[0] = fma(vec4(a0.w), b30, fma(vec4(a0.z), b20, fma(vec4(a0.y), b10, fma(vec4(a0.x), b00, acc[0]))));
        acc[1] = fma(vec4(a0.w), b31, fma(vec4(a0.z), b21, fma(vec4(a0.y), b11, fma(vec4(a0.x), b01, acc[1]))));
        acc[2] = fma(vec4(a1.w), b30, fma(vec4(a1.z), b20, fma(vec4(a1.y), b10, fma(vec4(a1.x), b00, acc[2]))));
        acc[3] = fma(vec4(a1.w), b31, fma(vec4(a1.z), b21, fma(vec4(a1.y), b11, fma(vec4(a1.x), b01, acc[3]))));
        acc[4] = fma(vec4(a2.w), b30, fma(vec4(a2.z), b20, fma(vec4(a2.y), b10, fma(vec4(a2.x), b00, acc[4]))));
        acc[5] = fma(vec4(a2.w), b31, fma(vec4(a2.z), b21, fma(vec4(a2.y), b11, fma(vec4(a2.x), b01, acc[5]))));
        acc[6] = fma(vec4(a3.w), b30, fma(vec4(a3.z), b20, fma(vec4(a3.y), b10, fma(vec4(a3.x), b00, acc[6]))));
        acc[7] = fma(vec4(a3.w), b31, fma(vec4(a3.z), b21, fma(vec4(a3.y), b11, fma(vec4(a3.x), b01, acc[7]))));
        acc[8] = fma(vec4(a4.w), b30, fma(vec4(a4.z), b20, fma(vec4(a4.y), b10, fma(vec4(a4.x), b00, acc[8]))));
        acc[9] = fma(vec4(a4.w), b31, fma(vec4(a4.z), b21, fma(vec4(a4.y), b11, fma(vec4(a4.x), b01, acc[9]))));
        acc[10] = fma(vec4(a5.w), b30, fma(vec4(a5.z), b20, fma(vec4(a5.y), b10, fma(vec4(a5.x), b00, acc[10]))));
        acc[11] = fma(vec4(a5.w), b31, fma(vec4(a5.z), b21, fma(vec4(a5.y), b11, fma(vec4(a5.x), b01, acc[11]))));
        acc[12] = fma(vec4(a6.w), b30, fma(vec4(a6.z), b20, fma(vec4(a6.y), b10, fma(vec4(a6.x), b00, acc[12]))));
        acc[13] = fma(vec4(a6.w), b31, fma(vec4(a6.z), b21, fma(vec4(a6.y), b11, fma(vec4(a6.x), b01, acc[13]))));
        acc[14] = fma(vec4(a7.w), b30, fma(vec4(a7.z), b20, fma(vec4(a7.y), b10, fma(vec4(a7.x), b00, acc[14]))));
        acc[15] = fma(vec4(a7.w), b31, fma(vec4(a7.z), b21, fma(vec4(a7.y), b11, fma(vec4(a7.x), b01, acc[15]))));
    }
    return acc;
}

fn block_tn(row0: u32, col0: u32, ks: vec2<u32>) -> array<vec4<f32>, 16> {
    let m4 = p.m / 4u;
    let n4 = p.n / 4u;
    let ra0 = row0 / 4u;
    let ra1 = min(ra0 + 1u, m4 - 1u);
    let cb0 = col0 / 4u;
    let cb1 = min(cb0 + 1u, n4 - 1u);
    var acc: array<vec4<f32>, 16>;
    for (var kk = ks.x; kk < ks.y; kk++) {
        let a_lo = a[kk * m4 + ra0];
        let a_hi = a[kk * m4 + ra1];
        let b_lo = b[kk * n4 + cb0];
        let b_hi = b[kk * n4 + cb1];
        acc[0] = fma(vec4(a_lo.x), b_lo, acc[0]);
        acc[1] = fma(vec4(a_lo.x), b_hi, acc[1]);
        acc[2] = fma(vec4(a_lo.y), b_lo, acc[2]);
        acc[3] = fma(vec4(a_lo.y), b_hi, acc[3]);
        acc[4] = fma(vec4(a_lo.z), b_lo, acc[4]);
        acc[5] = fma(vec4(a_lo.z), b_hi, acc[5]);
        acc[6] = fma(vec4(a_lo.w), b_lo, acc[6]);
        acc[7] = fma(vec4(a_lo.w), b_hi, acc[7]);
        acc[8] = fma(vec4(a_hi.x), b_lo, acc[8]);
        acc[9] = fma(vec4(a_hi.x), b_hi, acc[9]);
        acc[10] = fma(vec4(a_hi.y), b_lo, acc[10]);
        acc[11] = fma(vec4(a_hi.y), b_hi, acc[11]);
        acc[12] = fma(vec4(a_hi.z), b_lo, acc[12]);
        acc[13] = fma(vec4(a_hi.z), b_hi, acc[13]);
        acc[14] = fma(vec4(a_hi.w), b_lo, acc[14]);
        acc[15] = fma(vec4(a_hi.w), b_hi, acc[15]);
    }
    return acc;
}

fn block_nt(row0: u32, col0: u32) -> array<vec4<f32>, 16> {
    let k4 = p.k / 4u;
    let r0 = min(row0 + 0u, p.m - 1u) * k4;
    let r1 = min(row0 + 1u, p.m - 1u) * k4;
    let r2 = min(row0 + 2u, p.m - 1u) * k4;
    let r3 = min(row0 + 3u, p.m - 1u) * k4;
    let r4 = min(row0 + 4u, p.m - 1u) * k4;
    let r5 = min(row0 + 5u, p.m - 1u) * k4;
    let r6 = min(row0 + 6u, p.m - 1u) * k4;
    let r7 = min(row0 + 7u, p.m - 1u) * k4;
    let s0 = min(col0 + 0u, p.n - 1u) * k4;
    let s1 = min(col0 + 1u, p.n - 1u) * k4;
    let s2 = min(col0 + 2u, p.n - 1u) * k4;
    let s3 = min(col0 + 3u, p.n - 1u) * k4;
    let s4 = min(col0 + 4u, p.n - 1u) * k4;
    let s5 = min(col0 + 5u, p.n - 1u) * k4;
    let s6 = min(col0 + 6u, p.n - 1u) * k4;
    let s7 = min(col0 + 7u, p.n - 1u) * k4;
    var acc: array<vec4<f32>, 16>;
    for (var kk = 0u; kk < k4; kk++) {
        let b0 = b[s0 + kk];
        let b1 = b[s1 + kk];
        let b2 = b[s2 + kk];
        let b3 = b[s3 + kk];
        let b4 = b[s4 + kk];
        let b5 = b[s5 + kk];
        let b6 = b[s6 + kk];
        let b7 = b[s7 + kk];
        let a0 = a[r0 + kk];
        acc[0] += vec4(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
        acc[1] += vec4(dot(a0, b4), dot(a0, b5), dot(a0, b6), dot(a0, b7));
        let a1 = a[r1 + kk];
        acc[2] += vec4(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
        acc[3] += vec4(dot(a1, b4), dot(a1, b5), dot(a1, b6), dot(a1, b7));
        let a2 = a[r2 + kk];
        acc[4] += vec4(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
        acc[5] += vec4(dot(a2, b4), dot(a2, b5), dot(a2, b6), dot(a2, b7));
        let a3 = a[r3 + kk];
        acc[6] += vec4(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
        acc[7] += vec4(dot(a3, b4), dot(a3, b5), dot(a3, b6), dot(a3, b7));
        let a4 = a[r4 + kk];
        acc[8] += vec4(dot(a4, b0), dot(a4, b1), dot(a4, b2), dot(a4, b3));
        acc[9] += vec4(dot(a4, b4), dot(a4, b5), dot(a4, b6), dot(a4, b7));
        let a5 = a[r5 + kk];
        acc[10] += vec4(dot(a5, b0), dot(a5, b1), dot(a5, b2), dot(a5, b3));
        acc[11] += vec4(dot(a5, b4), dot(a5, b5), dot(a5, b6), dot(a5, b7));
        let a6 = a[r6 + kk];
        acc[12] += vec4(dot(a6, b0), dot(a6, b1), dot(a6, b2), dot(a6, b3));
        acc[13] += vec4(dot(a6, b4), dot(a6, b5), dot(a6, b6), dot(a6, b7));
        let a7 = a[r7 + kk];
        acc[14] += vec4(dot(a7, b0), dot(a7, b1), dot(a7, b2), dot(a7, b3));
        acc[15] += vec4(dot(a7, b4), dot(a7, b5), dot(a7, b6), dot(a7, b7));
    }
    return acc;
}

fn bias_pair(col0: u32) -> array<vec4<f32>, 2> {
    let n4 = p.n / 4u;
    return array(bias[col0 / 4u], bias[min(col0 / 4u + 1u, n4 - 1u)]);
}

@compute @workgroup_size(8, 8)
fn matmul_nn(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row0 = gid.y * 8u;
    let col0 = gid.x * 8u;
    if row0 < p.m && col0 < p.n {
        store_block(row0, col0, block_nn(row0, col0), vec4(0.0), vec4(0.0));
    }
}

@compute @workgroup_size(8, 8)
fn matmul_nn_bias(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row0 = gid.y * 8u;
    let col0 = gid.x * 8u;
    if row0 < p.m && col0 < p.n {
        let bb = bias_pair(col0);
        store_block(row0, col0, block_nn(row0, col0), bb[0], bb[1]);
    }
}

@compute @workgroup_size(8, 8)
fn matmul_tn(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row0 = gid.y * 8u;
    let col0 = gid.x * 8u;
    c_base = gid.z * p.m * p.n / 4u;
    if row0 < p.m && col0 < p.n {
        store_block(row0, col0, block_tn(row0, col0, k_range(gid.z)), vec4(0.0), vec4(0.0));
    }
}

@compute @workgroup_size(8, 8)
fn matmul_nt(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row0 = gid.y * 8u;
    let col0 = gid.x * 8u;
    if row0 < p.m && col0 < p.n {
        store_block(row0, col0, block_nt(row0, col0), vec4(0.0), vec4(0.0));
    }
}
