// matmul_vec4.wgsl's products with the loads of A shared through subgroup
// shuffles (matmul_params.wgsl, tile_vec4.wgsl and tile_subgroup.wgsl come
// first), for adapters whose subgroups pass src/gpu/probe.rs. Besides nn,
// tn and nt, three kernels take one dimension that is not a multiple of 4,
// for the one-channel convolutions whose 5·5·1 = 25 columns are no
// multiple of 4:
//   nn_any_k  nn for any K (A read as scalars, K padded with zeros to a multiple of 4)
//   tn_any_m  tn for any M (A read as scalars); with p.ones_row, A gets a
//             last row of ones and C's last row is Σ_k B[k, ·] (a dense
//             layer's bias gradient in its weight gradient's product)
//   nt_any_n  nt for any N (C written as scalars)
// and nt_32 is nt in workgroups of 32 rows, for an M of at most 32 (the
// 25 taps of a one-channel kernel) that a 64-row workgroup would mostly
// spend on rows past C.

// Scalar views for the *_any_* kernels, whose A rows (or C rows) are not
// whole vec4s: A for nn_any_k and tn_any_m, C for nt_any_n.
@group(0) @binding(5) var<storage, read> a_scalar: array<f32>;
@group(0) @binding(6) var<storage, read_write> c_scalar: array<f32>;

fn block_nn(t: Tile) -> array<vec4<f32>, 16> {
    let k4 = p.k / 4u;
    // This lane loads row `lane` of the block; the others take it by shuffle.
    let r_mine = min(t.row0 + t.lane, p.m - 1u) * k4;
    let cb = col_blocks(t.col0);
    var acc: array<vec4<f32>, 16>;
    for (var kk = 0u; kk < k4; kk++) {
        update_nn(&acc, shuffle8(a_vec4(r_mine + kk), t.base), load_b_nn(kk, cb.x, cb.y));
    }
    return acc;
}

fn block_nt(t: Tile) -> array<vec4<f32>, 16> {
    let k4 = p.k / 4u;
    let r_mine = min(t.row0 + t.lane, p.m - 1u) * k4;
    var s: array<u32, 8>;
    for (var j = 0u; j < 8u; j++) {
        s[j] = min(t.col0 + j, p.n - 1u) * k4;
    }
    var acc: array<vec4<f32>, 16>;
    for (var kk = 0u; kk < k4; kk++) {
        let bs = array(b_vec4(s[0] + kk), b_vec4(s[1] + kk), b_vec4(s[2] + kk), b_vec4(s[3] + kk), b_vec4(s[4] + kk), b_vec4(s[5] + kk), b_vec4(s[6] + kk), b_vec4(s[7] + kk));
        update_nt(&acc, shuffle8(a_vec4(r_mine + kk), t.base), bs);
    }
    return acc;
}

fn block_tn(t: Tile, ks: vec2<u32>) -> array<vec4<f32>, 16> {
    let m4 = p.m / 4u;
    let n4 = p.n / 4u;
    let ra0 = min(t.row0 / 4u, m4 - 1u);
    let ra1 = min(ra0 + 1u, m4 - 1u);
    let cb = col_blocks(t.col0);
    // Lane g loads half g % 2 of the block's A rows at step g / 2 of each
    // group of 4 k; the others take it by shuffle.
    let my_half = select(ra0, ra1, t.lane % 2u == 1u);
    var acc: array<vec4<f32>, 16>;
    let k_full = ks.x + (ks.y - ks.x) / 4u * 4u;
    for (var k0 = ks.x; k0 < k_full; k0 += 4u) {
        update_tn_shared(&acc, a_vec4((k0 + t.lane / 2u) * m4 + my_half), t.base, k0, cb);
    }
    // The last K % 4 steps, without sharing.
    for (var kk = k_full; kk < ks.y; kk++) {
        update_tn(&acc, a_vec4(kk * m4 + ra0), a_vec4(kk * m4 + ra1), b_vec4(kk * n4 + cb.x), b_vec4(kk * n4 + cb.y));
    }
    return acc;
}

// A[row, k] of a row-major [M, K] A, zero for k ≥ K.
fn a_at(row: u32, k: u32) -> f32 {
    return select(0.0, a_scalar[row * p.k + min(k, p.k - 1u)], k < p.k);
}

fn block_nn_any_k(t: Tile) -> array<vec4<f32>, 16> {
    let row = min(t.row0 + t.lane, p.m - 1u);
    let cb = col_blocks(t.col0);
    var acc: array<vec4<f32>, 16>;
    for (var k = 0u; k < p.k; k += 4u) {
        let mine = vec4(a_at(row, k), a_at(row, k + 1u), a_at(row, k + 2u), a_at(row, k + 3u));
        update_nn(&acc, shuffle8(mine, t.base), load_b_rows(k, cb.x, cb.y));
    }
    return acc;
}

// A[k, m] of a row-major [K, M - ones_row] A, or 1 from the row of ones
// on (columns past it are never stored).
fn a_or_one(k: u32, m: u32) -> f32 {
    let cols = p.m - p.ones_row;
    return select(a_scalar[k * cols + min(m, cols - 1u)], 1.0, m >= cols);
}

fn a_row4(k: u32, m: u32) -> vec4<f32> {
    return vec4(a_or_one(k, m), a_or_one(k, m + 1u), a_or_one(k, m + 2u), a_or_one(k, m + 3u));
}

fn block_tn_any_m(t: Tile, ks: vec2<u32>) -> array<vec4<f32>, 16> {
    let n4 = p.n / 4u;
    let cb = col_blocks(t.col0);
    var acc: array<vec4<f32>, 16>;
    let k_full = ks.x + (ks.y - ks.x) / 4u * 4u;
    for (var k0 = ks.x; k0 < k_full; k0 += 4u) {
        update_tn_shared(&acc, a_row4(k0 + t.lane / 2u, t.row0 + 4u * (t.lane % 2u)), t.base, k0, cb);
    }
    for (var kk = k_full; kk < ks.y; kk++) {
        update_tn(&acc, a_row4(kk, t.row0), a_row4(kk, t.row0 + 4u), b_vec4(kk * n4 + cb.x), b_vec4(kk * n4 + cb.y));
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
fn matmul_nn(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    store_block(t.row0, t.col0, block_nn(t), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn matmul_nn_bias(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    let bb = bias_pair(t.col0);
    store_block(t.row0, t.col0, block_nn(t), bb[0], bb[1]);
}

@compute @workgroup_size(64)
fn matmul_tn(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    c_base = wid.z * p.m * p.n / 4u;
    store_block(t.row0, t.col0, block_tn(t, k_range(wid.z)), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn matmul_nt(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    store_block(t.row0, t.col0, block_nt(t), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(32)
fn matmul_nt_32(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of_32(lid, wid, sg_lane);
    store_block(t.row0, t.col0, block_nt(t), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn matmul_nn_any_k(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    store_block(t.row0, t.col0, block_nn_any_k(t), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn matmul_nn_any_k_bias(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    let bb = bias_pair(t.col0);
    store_block(t.row0, t.col0, block_nn_any_k(t), bb[0], bb[1]);
}

@compute @workgroup_size(64)
fn matmul_tn_any_m(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    c_base = wid.z * p.m * p.n / 4u;
    store_block(t.row0, t.col0, block_tn_any_m(t, k_range(wid.z)), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn matmul_nt_any_n(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    store_block_scalar(t.row0, t.col0, block_nt(t));
}
