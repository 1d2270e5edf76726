// Matrix product C[M,N] = A[M,K] · B[K,N] (+ bias[N]) for any M, N, K, and
// the matrix-vector product for N = 1.
//
// A and B are read through element strides, so the same kernel computes
// A·B, Aᵀ·B and A·Bᵀ without transposing anything in memory; C is written
// row-major. This is the general path: shapes whose contiguous dimensions
// are multiples of 4 take matmul_vec4.wgsl or matmul_subgroup.wgsl instead
// (src/ops/matmul.rs chooses).
//
// Each invocation keeps an 8×8 block of C in 16 vec4 registers (constant
// indices only, so the compiler can keep them out of memory) and walks K once, loading 8
// values of A and 8 of B per step for 64 multiply-adds. There is no shared
// memory and no barrier: on lavapipe each shared-memory access and barrier
// is expensive (see WGPU-NOTES.md), and on real GPUs L1 serves the reuse
// across a workgroup. Rows and columns past the edge are clamped on load
// and skipped on store. matmul_params.wgsl, grid.wgsl and tree_sum.wgsl come first.

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn store_row(row: u32, col0: u32, lo: vec4<f32>, hi: vec4<f32>) {
    if row >= p.m {
        return;
    }
    let base = row * p.n + col0;
    let v = array(lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w);
    for (var j = 0u; j < 8u; j++) {
        if col0 + j < p.n {
            c[base + j] = v[j];
        }
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

fn block_product(row0: u32, col0: u32) -> array<vec4<f32>, 16> {
    let ra0 = min(row0 + 0u, p.m - 1u) * p.a_stride_m;
    let ra1 = min(row0 + 1u, p.m - 1u) * p.a_stride_m;
    let ra2 = min(row0 + 2u, p.m - 1u) * p.a_stride_m;
    let ra3 = min(row0 + 3u, p.m - 1u) * p.a_stride_m;
    let ra4 = min(row0 + 4u, p.m - 1u) * p.a_stride_m;
    let ra5 = min(row0 + 5u, p.m - 1u) * p.a_stride_m;
    let ra6 = min(row0 + 6u, p.m - 1u) * p.a_stride_m;
    let ra7 = min(row0 + 7u, p.m - 1u) * p.a_stride_m;
    let cb0 = min(col0 + 0u, p.n - 1u) * p.b_stride_n;
    let cb1 = min(col0 + 1u, p.n - 1u) * p.b_stride_n;
    let cb2 = min(col0 + 2u, p.n - 1u) * p.b_stride_n;
    let cb3 = min(col0 + 3u, p.n - 1u) * p.b_stride_n;
    let cb4 = min(col0 + 4u, p.n - 1u) * p.b_stride_n;
    let cb5 = min(col0 + 5u, p.n - 1u) * p.b_stride_n;
    let cb6 = min(col0 + 6u, p.n - 1u) * p.b_stride_n;
    let cb7 = min(col0 + 7u, p.n - 1u) * p.b_stride_n;
    var acc: array<vec4<f32>, 16>;
    for (var kk = 0u; kk < p.k; kk++) {
        let ak = kk * p.a_stride_k;
        let bk = kk * p.b_stride_k;
        let b_lo = vec4(b[bk + cb0], b[bk + cb1], b[bk + cb2], b[bk + cb3]);
        let b_hi = vec4(b[bk + cb4], b[bk + cb5], b[bk + cb6], b[bk + cb7]);
        let a0 = vec4(a[ra0 + ak]);
        acc[0] = fma(a0, b_lo, acc[0]);
        acc[1] = fma(a0, b_hi, acc[1]);
        let a1 = vec4(a[ra1 + ak]);
        acc[2] = fma(a1, b_lo, acc[2]);
        acc[3] = fma(a1, b_hi, acc[3]);
        let a2 = vec4(a[ra2 + ak]);
        acc[4] = fma(a2, b_lo, acc[4]);
        acc[5] = fma(a2, b_hi, acc[5]);
        let a3 = vec4(a[ra3 + ak]);
        acc[6] = fma(a3, b_lo, acc[6]);
        acc[7] = fma(a3, b_hi, acc[7]);
        let a4 = vec4(a[ra4 + ak]);
        acc[8] = fma(a4, b_lo, acc[8]);
        acc[9] = fma(a4, b_hi, acc[9]);
        let a5 = vec4(a[ra5 + ak]);
        acc[10] = fma(a5, b_lo, acc[10]);
        acc[11] = fma(a5, b_hi, acc[11]);
        let a6 = vec4(a[ra6 + ak]);
        acc[12] = fma(a6, b_lo, acc[12]);
        acc[13] = fma(a6, b_hi, acc[13]);
        let a7 = vec4(a[ra7 + ak]);
        acc[14] = fma(a7, b_lo, acc[14]);
        acc[15] = fma(a7, b_hi, acc[15]);
    }
    return acc;
}

@compute @workgroup_size(8, 8)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row0 = gid.y * 8u;
    let col0 = gid.x * 8u;
    if row0 < p.m && col0 < p.n {
        store_block(row0, col0, block_product(row0, col0), vec4(0.0), vec4(0.0));
    }
}

@compute @workgroup_size(8, 8)
fn matmul_bias(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row0 = gid.y * 8u;
    let col0 = gid.x * 8u;
    if row0 < p.m && col0 < p.n {
        var bb: array<f32, 8>;
        for (var j = 0u; j < 8u; j++) {
            bb[j] = bias[min(col0 + j, p.n - 1u)];
        }
        let lo = vec4(bb[0], bb[1], bb[2], bb[3]);
        let hi = vec4(bb[4], bb[5], bb[6], bb[7]);
        store_block(row0, col0, block_product(row0, col0), lo, hi);
    }
}

// N = 1: C[m] = Σ_k A[m, k] · B[k] (+ bias[0]). An 8×8 block would leave 7 of
// 8 columns idle and walk all of K in one invocation, so instead a
// workgroup per row splits K over 256 invocations and sums them in a fixed
// tree (deterministic). Rows past the device's per-dimension limit of
// workgroups fold into the grid's y.
fn matvec_row(row: u32, lid: u32) -> f32 {
    var s = 0.0;
    for (var kk = lid; kk < p.k; kk += TREE_WG) {
        s = fma(a[row * p.a_stride_m + kk * p.a_stride_k], b[kk * p.b_stride_k], s);
    }
    partial[lid] = s;
    return tree_sum(lid);
}

@compute @workgroup_size(TREE_WG)
fn matvec(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = wid.x + wid.y * nwg.x;
    if row < p.m {
        let s = matvec_row(row, lid.x);
        if lid.x == 0u {
            c[row] = s;
        }
    }
}

@compute @workgroup_size(TREE_WG)
fn matvec_bias(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = wid.x + wid.y * nwg.x;
    if row < p.m {
        let s = matvec_row(row, lid.x);
        if lid.x == 0u {
            c[row] = s + bias[0];
        }
    }
}

// N = 1 with K short and M long (the discriminator's dense weight gradient,
// Aᵀ·d with A [batch, features]): one invocation per row, walking K, so
// neighbouring invocations read neighbouring rows. With p.ones_row, A's
// last row is ones: C's last row is Σ_k B[k], the layer's bias gradient.
@compute @workgroup_size(GRID_WORKGROUP)
fn matvec_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = index(gid, nwg);
    if row >= p.m {
        return;
    }
    let rows = p.m - p.ones_row;
    let ones = row >= rows;
    let a_row = min(row, rows - 1u) * p.a_stride_m;
    var s = 0.0;
    for (var kk = 0u; kk < p.k; kk++) {
        s = fma(select(a[a_row + kk * p.a_stride_k], 1.0, ones), b[kk * p.b_stride_k], s);
    }
    c[row] = s;
}
