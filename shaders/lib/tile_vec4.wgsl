// The 8×8 register tile shared by the vec4 matrix kernels (matmul_vec4.wgsl,
// matmul_subgroup.wgsl, conv_implicit.wgsl; matmul_params.wgsl and
// operands.wgsl or operands_texels.wgsl, which read A and B, come first).
// Each invocation owns an 8×8 block of C held in 16 vec4 registers,
// acc[2r + h] = C[row0 + r, col0 + 4h .. col0 + 4h + 4], written with
// constant indices only so that the compiler can keep them in registers
// (dynamic indexing would force them into memory). Rows and columns past
// the edge are clamped on load and skipped on store.
//   nn: A [M,K], B [K,N]   (K, N multiples of 4)
//   tn: A [K,M], B [K,N]   (M, N multiples of 4)
//   nt: A [M,K], B [N,K]   (K, N multiples of 4)

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

// The vec4 column blocks of B (and C) that hold columns col0 .. col0 + 8.
fn col_blocks(col0: u32) -> vec2<u32> {
    let n4 = p.n / 4u;
    let cb0 = min(col0 / 4u, n4 - 1u);
    return vec2(cb0, min(cb0 + 1u, n4 - 1u));
}

// B rows k .. k + 4 (clamped to K - 1: A is zero there) for the products
// whose A rows end in a K that is no multiple of 4 (nn_any_k, conv1_nn).
fn load_b_rows(k: u32, cb0: u32, cb1: u32) -> array<vec4<f32>, 8> {
    let n4 = p.n / 4u;
    let r0 = min(k, p.k - 1u) * n4;
    let r1 = min(k + 1u, p.k - 1u) * n4;
    let r2 = min(k + 2u, p.k - 1u) * n4;
    let r3 = min(k + 3u, p.k - 1u) * n4;
    return array(b_vec4(r0 + cb0), b_vec4(r0 + cb1), b_vec4(r1 + cb0), b_vec4(r1 + cb1), b_vec4(r2 + cb0), b_vec4(r2 + cb1), b_vec4(r3 + cb0), b_vec4(r3 + cb1));
}

fn bias_pair(col0: u32) -> array<vec4<f32>, 2> {
    let cb = col_blocks(col0);
    return array(bias[cb.x], bias[cb.y]);
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
    return array(b_vec4(kb + cb0), b_vec4(kb + cb1), b_vec4(kb + n4 + cb0), b_vec4(kb + n4 + cb1), b_vec4(kb + 2u * n4 + cb0), b_vec4(kb + 2u * n4 + cb1), b_vec4(kb + 3u * n4 + cb0), b_vec4(kb + 3u * n4 + cb1));
}
