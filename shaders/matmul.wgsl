// Matrix product C[M,N] = A[M,K] · B[K,N] (+ bias[N]).
//
// A and B are read through element strides, so the same kernel computes
// A·B, Aᵀ·B and A·Bᵀ for the dense and convolution layers' forward, input
// gradient and weight gradient without transposing anything in memory.
// C is always written row-major.
//
// Each invocation keeps an 8×8 block of C in registers and walks K once,
// loading 8 values of A and 8 of B per step for 64 multiply-adds. There is
// no shared memory and no barrier: on lavapipe every shared-memory access
// and barrier is expensive (see WGPU-NOTES.md), and on real GPUs the 8×8
// register block already gives 4 FLOPs per loaded byte with L1 serving the
// reuse across the workgroup. Rows and columns past the edge are clamped on
// load and skipped on store, so any M, N, K works.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    _pad: u32,
    a_stride_m: u32,
    a_stride_k: u32,
    b_stride_k: u32,
    b_stride_n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

const BLOCK: u32 = 8u;

// acc[2 * i + h] holds C[row0 + i, col0 + 4h .. col0 + 4h + 3].
fn block_product(row0: u32, col0: u32) -> array<vec4<f32>, 16> {
    var a_off: array<u32, 8>;
    var b_off: array<u32, 8>;
    for (var i = 0u; i < BLOCK; i++) {
        a_off[i] = min(row0 + i, p.m - 1u) * p.a_stride_m;
        b_off[i] = min(col0 + i, p.n - 1u) * p.b_stride_n;
    }
    var acc: array<vec4<f32>, 16>;
    for (var kk = 0u; kk < p.k; kk++) {
        let ak = kk * p.a_stride_k;
        let bk = kk * p.b_stride_k;
        let b_lo = vec4<f32>(b[bk + b_off[0]], b[bk + b_off[1]], b[bk + b_off[2]], b[bk + b_off[3]]);
        let b_hi = vec4<f32>(b[bk + b_off[4]], b[bk + b_off[5]], b[bk + b_off[6]], b[bk + b_off[7]]);
        for (var i = 0u; i < BLOCK; i++) {
            let av = a[a_off[i] + ak];
            acc[2u * i] = fma(vec4<f32>(av), b_lo, acc[2u * i]);
            acc[2u * i + 1u] = fma(vec4<f32>(av), b_hi, acc[2u * i + 1u]);
        }
    }
    return acc;
}

fn store_block(row0: u32, col0: u32, acc: array<vec4<f32>, 16>, bias_block: array<f32, 8>) {
    for (var i = 0u; i < BLOCK; i++) {
        let row = row0 + i;
        if row >= p.m {
            return;
        }
        for (var j = 0u; j < BLOCK; j++) {
            let col = col0 + j;
            if col < p.n {
                c[row * p.n + col] = acc[2u * i + j / 4u][j % 4u] + bias_block[j];
            }
        }
    }
}

@compute @workgroup_size(8, 8)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row0 = gid.y * BLOCK;
    let col0 = gid.x * BLOCK;
    if row0 >= p.m || col0 >= p.n {
        return;
    }
    var no_bias: array<f32, 8>;
    store_block(row0, col0, block_product(row0, col0), no_bias);
}

@compute @workgroup_size(8, 8)
fn matmul_bias(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row0 = gid.y * BLOCK;
    let col0 = gid.x * BLOCK;
    if row0 >= p.m || col0 >= p.n {
        return;
    }
    var bias_block: array<f32, 8>;
    for (var j = 0u; j < BLOCK; j++) {
        bias_block[j] = bias[min(col0 + j, p.n - 1u)];
    }
    store_block(row0, col0, block_product(row0, col0), bias_block);
}
