// The fast path of matmul.wgsl for shapes whose contiguous dimensions are
// multiples of 4 (matmul_params.wgsl and tile_vec4.wgsl come first): each
// invocation computes one 8×8 block of C from vec4 loads of A and B, 16
// vec4 loads for 256 multiply-adds (nn, nt) or 4 for 64 (tn). Three layouts
// cover every product the layers need:
//   nn  forward, conv input gradient
//   tn  weight gradients Aᵀ·B
//   nt  products with a transposed kernel
// src/ops/matmul.rs picks this file, matmul_subgroup.wgsl or the general one.

fn block_nn(row0: u32, col0: u32) -> array<vec4<f32>, 16> {
    let k4 = p.k / 4u;
    var r: array<u32, 8>;
    for (var i = 0u; i < 8u; i++) {
        r[i] = min(row0 + i, p.m - 1u) * k4;
    }
    let cb = col_blocks(col0);
    var acc: array<vec4<f32>, 16>;
    for (var kk = 0u; kk < k4; kk++) {
        let rows = array(a_vec4(r[0] + kk), a_vec4(r[1] + kk), a_vec4(r[2] + kk), a_vec4(r[3] + kk), a_vec4(r[4] + kk), a_vec4(r[5] + kk), a_vec4(r[6] + kk), a_vec4(r[7] + kk));
        update_nn(&acc, rows, load_b_nn(kk, cb.x, cb.y));
    }
    return acc;
}

fn block_tn(row0: u32, col0: u32, ks: vec2<u32>) -> array<vec4<f32>, 16> {
    let m4 = p.m / 4u;
    let n4 = p.n / 4u;
    let ra0 = row0 / 4u;
    let ra1 = min(ra0 + 1u, m4 - 1u);
    let cb = col_blocks(col0);
    var acc: array<vec4<f32>, 16>;
    for (var kk = ks.x; kk < ks.y; kk++) {
        update_tn(&acc, a_vec4(kk * m4 + ra0), a_vec4(kk * m4 + ra1), b_vec4(kk * n4 + cb.x), b_vec4(kk * n4 + cb.y));
    }
    return acc;
}

fn block_nt(row0: u32, col0: u32) -> array<vec4<f32>, 16> {
    let k4 = p.k / 4u;
    var r: array<u32, 8>;
    var s: array<u32, 8>;
    for (var i = 0u; i < 8u; i++) {
        r[i] = min(row0 + i, p.m - 1u) * k4;
        s[i] = min(col0 + i, p.n - 1u) * k4;
    }
    var acc: array<vec4<f32>, 16>;
    for (var kk = 0u; kk < k4; kk++) {
        let rows = array(a_vec4(r[0] + kk), a_vec4(r[1] + kk), a_vec4(r[2] + kk), a_vec4(r[3] + kk), a_vec4(r[4] + kk), a_vec4(r[5] + kk), a_vec4(r[6] + kk), a_vec4(r[7] + kk));
        let cols = array(b_vec4(s[0] + kk), b_vec4(s[1] + kk), b_vec4(s[2] + kk), b_vec4(s[3] + kk), b_vec4(s[4] + kk), b_vec4(s[5] + kk), b_vec4(s[6] + kk), b_vec4(s[7] + kk));
        update_nt(&acc, rows, cols);
    }
    return acc;
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
