// Sharing the loads of A through subgroup shuffles, for the tile kernels of
// matmul_subgroup.wgsl and conv_implicit.wgsl (after tile_vec4.wgsl).
//
// A workgroup of 64 invocations covers a 64×64 block of C as 8×8 tiles. The
// 8 invocations of one aligned group of 8 lanes compute the same 8 rows of
// C for 8 different column blocks, so they all need the same values of A:
// instead of each loading all of them, each lane loads one vec4 and the
// others read it with subgroupShuffle (16 loads per 256 multiply-adds
// become 9). The tile comes from the invocation index and the group from
// the subgroup lane, so this relies on subgroups of a multiple of 8 lanes
// laid over consecutive invocations (lane = index mod size), whatever the
// size: src/gpu/probe.rs checks both on the adapter before these kernels
// are chosen. No invocation returns early: every lane takes part in every
// shuffle, and only the stores are guarded.

// A tile's origin in C and the invocation's place in its group of 8 lanes.
struct Tile {
    row0: u32,
    col0: u32,
    // 0..8 within the group
    lane: u32,
    // subgroup lane of the group's first invocation
    base: u32,
}

fn tile_of(lid: u32, wid: vec3<u32>, sg_lane: u32) -> Tile {
    let lane = sg_lane % 8u;
    return Tile((wid.y * 8u + lid / 8u) * 8u, (wid.x * 8u + lid % 8u) * 8u, lane, sg_lane - lane);
}

// tile_of for a workgroup of 32 invocations, which covers 32 rows × 64
// columns of C: for a product whose M is short (conv1_tn's kh·kw = 25
// taps), on which a 64-row workgroup would spend most of its work on rows
// past C.
fn tile_of_32(lid: u32, wid: vec3<u32>, sg_lane: u32) -> Tile {
    let lane = sg_lane % 8u;
    return Tile((wid.y * 4u + lid / 8u) * 8u, (wid.x * 8u + lid % 8u) * 8u, lane, sg_lane - lane);
}

// The 8 rows' vec4s of A, each loaded by one lane of the group.
fn shuffle8(mine: vec4<f32>, base: u32) -> array<vec4<f32>, 8> {
    return array(subgroupShuffle(mine, base + 0u), subgroupShuffle(mine, base + 1u), subgroupShuffle(mine, base + 2u), subgroupShuffle(mine, base + 3u), subgroupShuffle(mine, base + 4u), subgroupShuffle(mine, base + 5u), subgroupShuffle(mine, base + 6u), subgroupShuffle(mine, base + 7u));
}

// Steps k0 .. k0 + 4 of a tn product: lane 2j loaded A[k0 + j, rows 0..4]
// and lane 2j + 1 A[k0 + j, rows 4..8] as `mine`.
fn update_tn_shared(acc: ptr<function, array<vec4<f32>, 16>>, mine: vec4<f32>, base: u32, k0: u32, cb: vec2<u32>) {
    let n4 = p.n / 4u;
    update_tn(acc, subgroupShuffle(mine, base + 0u), subgroupShuffle(mine, base + 1u), b_vec4((k0 + 0u) * n4 + cb.x), b_vec4((k0 + 0u) * n4 + cb.y));
    update_tn(acc, subgroupShuffle(mine, base + 2u), subgroupShuffle(mine, base + 3u), b_vec4((k0 + 1u) * n4 + cb.x), b_vec4((k0 + 1u) * n4 + cb.y));
    update_tn(acc, subgroupShuffle(mine, base + 4u), subgroupShuffle(mine, base + 5u), b_vec4((k0 + 2u) * n4 + cb.x), b_vec4((k0 + 2u) * n4 + cb.y));
    update_tn(acc, subgroupShuffle(mine, base + 6u), subgroupShuffle(mine, base + 7u), b_vec4((k0 + 3u) * n4 + cb.x), b_vec4((k0 + 3u) * n4 + cb.y));
}
