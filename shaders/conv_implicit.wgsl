// Convolution products that gather A straight from an NHWC image instead of
// reading a materialised im2col matrix (implicit GEMM), with the loads
// shared through subgroup shuffles (matmul_params.wgsl, tile_vec4.wgsl and
// tile_subgroup.wgsl come first). im2col as in conv.wgsl: row = patch
// (b, oy, ox), column = (ky, kx, ci).
//   conv_nn: A = im2col(image) [M = patches, K = kh·kw·c]   (c, N multiples of 4)
//   conv_tn: A = im2col(image) stored [K = patches, M = kh·kw·c]   (c multiple of 8, N of 4)
// With p.ones_row the tn products' A has one more row, of ones, and C's
// last row is Σ_k B[k, ·]: a layer's bias gradient in the product that
// makes its weight gradient, with no pass of its own.
//   conv_t:  the adjoint, C = col2im(P · Wᵀ) [pixels, c] for P [patches,
//            k] and W [kh·kw·c, k] (c and k multiples of 4), summed
//            straight from P without the column matrix (below)
// Binding 1 (A, read by a_vec4: operands.wgsl) holds the image. A one-channel image
// (the discriminator's input, the generator's output) gives rows of
// kh·kw = 25 single pixels, no whole vec4s: conv1_nn and conv1_tn read it
// as scalars from binding 5, as matmul_subgroup.wgsl's nn_any_k and
// tn_any_m read a materialised column matrix, and give the same bits.

@group(0) @binding(5) var<storage, read> image1: array<f32>;

// The discriminator's convolutions go on through LeakyReLU and dropout in
// their store (*_leaky_relu_dropout, after counter.wgsl, rng.wgsl and
// activation.wgsl): C gets the dropout's output and `factor` the signed
// factor dropout.wgsl's leaky_relu_dropout_forward would store, drawn from
// the same stream at the same element indices, so the bits are the same.
@group(0) @binding(6) var<storage, read_write> factor: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> counter: StepCounter;

// LeakyReLU → dropout of 4 elements from element i on.
fn leaky_relu_dropout4(v: vec4<f32>, key: u32, i: u32) -> array<vec4<f32>, 2> {
    let m = vec4(dropout_factor(key, i, p.drop_threshold, p.drop_scale), dropout_factor(key, i + 1u, p.drop_threshold, p.drop_scale), dropout_factor(key, i + 2u, p.drop_threshold, p.drop_scale), dropout_factor(key, i + 3u, p.drop_threshold, p.drop_scale));
    let r = array(leaky_relu_dropout(v.x, m.x, p.alpha), leaky_relu_dropout(v.y, m.y, p.alpha), leaky_relu_dropout(v.z, m.z, p.alpha), leaky_relu_dropout(v.w, m.w, p.alpha));
    return array(vec4(r[0].x, r[1].x, r[2].x, r[3].x), vec4(r[0].y, r[1].y, r[2].y, r[3].y));
}

// store_row (tile_vec4.wgsl) through LeakyReLU → dropout.
fn store_row_leaky_relu_dropout(row: u32, col0: u32, lo: vec4<f32>, hi: vec4<f32>, key: u32) {
    if row >= p.m || col0 >= p.n {
        return;
    }
    let i = row * p.n + col0;
    let out_lo = leaky_relu_dropout4(lo, key, i);
    c[i / 4u] = out_lo[0];
    factor[i / 4u] = out_lo[1];
    if col0 + 4u < p.n {
        let out_hi = leaky_relu_dropout4(hi, key, i + 4u);
        c[i / 4u + 1u] = out_hi[0];
        factor[i / 4u + 1u] = out_hi[1];
    }
}

fn store_block_leaky_relu_dropout(row0: u32, col0: u32, acc: array<vec4<f32>, 16>, bias_lo: vec4<f32>, bias_hi: vec4<f32>) {
    let key = rng_key(p.drop_seed, p.drop_salt, counter.step);
    store_row_leaky_relu_dropout(row0 + 0u, col0, acc[0] + bias_lo, acc[1] + bias_hi, key);
    store_row_leaky_relu_dropout(row0 + 1u, col0, acc[2] + bias_lo, acc[3] + bias_hi, key);
    store_row_leaky_relu_dropout(row0 + 2u, col0, acc[4] + bias_lo, acc[5] + bias_hi, key);
    store_row_leaky_relu_dropout(row0 + 3u, col0, acc[6] + bias_lo, acc[7] + bias_hi, key);
    store_row_leaky_relu_dropout(row0 + 4u, col0, acc[8] + bias_lo, acc[9] + bias_hi, key);
    store_row_leaky_relu_dropout(row0 + 5u, col0, acc[10] + bias_lo, acc[11] + bias_hi, key);
    store_row_leaky_relu_dropout(row0 + 6u, col0, acc[12] + bias_lo, acc[13] + bias_hi, key);
    store_row_leaky_relu_dropout(row0 + 7u, col0, acc[14] + bias_lo, acc[15] + bias_hi, key);
}

// A patch: where its image's pixels start (in pixels) and its top-left
// pixel (negative in the padding).
struct Patch {
    image: u32,
    y0: i32,
    x0: i32,
}

// A patch's place in the grid: image, output row and column.
struct PatchPos {
    bi: u32,
    oy: u32,
    ox: u32,
}

fn patch_pos(patch_row: u32) -> PatchPos {
    return PatchPos(patch_row / (p.ow * p.oh), (patch_row / p.ow) % p.oh, patch_row % p.ow);
}

// The position `rows` patches on, by adding: the tn products step each
// lane's patch along K, and a division by a non-constant is a scalar loop
// over the lanes on a CPU driver.
fn advance(pos: PatchPos, rows: u32) -> PatchPos {
    var q = pos;
    q.ox += rows;
    while q.ox >= p.ow {
        q.ox -= p.ow;
        q.oy += 1u;
        if q.oy == p.oh {
            q.oy = 0u;
            q.bi += 1u;
        }
    }
    return q;
}

fn patch_at(pos: PatchPos) -> Patch {
    return Patch(pos.bi * p.h * p.w, i32(pos.oy * p.stride) - i32(p.pad_top), i32(pos.ox * p.stride) - i32(p.pad_left));
}

fn patch_of(patch_row: u32) -> Patch {
    return patch_at(patch_pos(patch_row));
}

// The vec4 of image channels 4·ci4 .. 4·ci4 + 4 that im2col puts at
// (patch, tap (ky, kx)), or zeros where the tap falls in the padding.
fn image_vec4(pt: Patch, ky: u32, kx: u32, ci4: u32) -> vec4<f32> {
    let iy = pt.y0 + i32(ky);
    let ix = pt.x0 + i32(kx);
    let inside = iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
    let pixel = select(0u, pt.image + u32(iy) * p.w + u32(ix), inside);
    return select(vec4(0.0), a_vec4(pixel * p.c4 + ci4), inside);
}

fn block_conv_nn(t: Tile) -> array<vec4<f32>, 16> {
    let pt = patch_of(min(t.row0 + t.lane, p.m - 1u));
    let cb = col_blocks(t.col0);
    var acc: array<vec4<f32>, 16>;
    var kk = 0u;
    for (var ky = 0u; ky < p.kh; ky++) {
        let iy = pt.y0 + i32(ky);
        for (var kx = 0u; kx < p.kw; kx++) {
            let ix = pt.x0 + i32(kx);
            let inside = iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
            let pixel = select(0u, (pt.image + u32(iy) * p.w + u32(ix)) * p.c4, inside);
            for (var ci4 = 0u; ci4 < p.c4; ci4++) {
                let mine = select(vec4(0.0), a_vec4(pixel + ci4), inside);
                update_nn(&acc, shuffle8(mine, t.base), load_b_nn(kk, cb.x, cb.y));
                kk++;
            }
        }
    }
    return acc;
}

fn block_conv_tn(t: Tile, ks: vec2<u32>) -> array<vec4<f32>, 16> {
    let n4 = p.n / 4u;
    // The block's 8 rows of C are 8 channels of one tap (c is a multiple of
    // 8), or the row of ones and 7 rows past C.
    let taps_rows = p.m - p.ones_row;
    let ones = t.row0 >= taps_rows;
    let j0 = min(t.row0, taps_rows - 8u);
    let c = p.c4 * 4u;
    let tap = j0 / c;
    let ky = tap / p.kw;
    let kx = tap % p.kw;
    let ci4 = (j0 % c) / 4u;
    let cb = col_blocks(t.col0);
    var acc: array<vec4<f32>, 16>;
    let k_full = ks.x + (ks.y - ks.x) / 4u * 4u;
    // Lane g reads the patch of row k0 + g / 2.
    var pos = patch_pos(ks.x + t.lane / 2u);
    for (var k0 = ks.x; k0 < k_full; k0 += 4u) {
        let mine = select(image_vec4(patch_at(pos), ky, kx, ci4 + t.lane % 2u), vec4(1.0), ones);
        update_tn_shared(&acc, mine, t.base, k0, cb);
        pos = advance(pos, 4u);
    }
    for (var kk = k_full; kk < ks.y; kk++) {
        let pt = patch_of(kk);
        let lo = select(image_vec4(pt, ky, kx, ci4), vec4(1.0), ones);
        let hi = select(image_vec4(pt, ky, kx, ci4 + 1u), vec4(1.0), ones);
        update_tn(&acc, lo, hi, b_vec4(kk * n4 + cb.x), b_vec4(kk * n4 + cb.y));
    }
    return acc;
}

@compute @workgroup_size(64)
fn conv_nn(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    store_block(t.row0, t.col0, block_conv_nn(t), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn conv_nn_bias(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    let bb = bias_pair(t.col0);
    store_block(t.row0, t.col0, block_conv_nn(t), bb[0], bb[1]);
}

@compute @workgroup_size(64)
fn conv_nn_bias_leaky_relu_dropout(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    let bb = bias_pair(t.col0);
    store_block_leaky_relu_dropout(t.row0, t.col0, block_conv_nn(t), bb[0], bb[1]);
}

@compute @workgroup_size(64)
fn conv_tn(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    c_base = wid.z * p.m * p.n / 4u;
    store_block(t.row0, t.col0, block_conv_tn(t, k_range(wid.z)), vec4(0.0), vec4(0.0));
}

// im2col's entry at (patch, tap) of a one-channel image: zero in the
// padding and for taps past kh·kw (K padded to a multiple of 4).
fn patch_pixel(pt: Patch, tap: u32) -> f32 {
    let iy = pt.y0 + i32(tap / p.kw);
    let ix = pt.x0 + i32(tap % p.kw);
    let inside = tap < p.kh * p.kw && iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
    return select(0.0, image1[select(0u, pt.image + u32(iy) * p.w + u32(ix), inside)], inside);
}

// Row `tap` of A for conv1_tn: the patch's pixel at that tap, or 1 from
// the row of ones on (rows past C are never stored).
fn tap_or_one(pt: Patch, tap: u32) -> f32 {
    let taps = p.m - p.ones_row;
    return select(patch_pixel(pt, min(tap, taps - 1u)), 1.0, tap >= taps);
}

// Rows m .. m + 4 of A for one patch.
fn patch_taps4(pt: Patch, m: u32) -> vec4<f32> {
    return vec4(tap_or_one(pt, m), tap_or_one(pt, m + 1u), tap_or_one(pt, m + 2u), tap_or_one(pt, m + 3u));
}

fn block_conv1_nn(t: Tile) -> array<vec4<f32>, 16> {
    let pt = patch_of(min(t.row0 + t.lane, p.m - 1u));
    let cb = col_blocks(t.col0);
    var acc: array<vec4<f32>, 16>;
    for (var k = 0u; k < p.k; k += 4u) {
        let mine = vec4(patch_pixel(pt, k), patch_pixel(pt, k + 1u), patch_pixel(pt, k + 2u), patch_pixel(pt, k + 3u));
        update_nn(&acc, shuffle8(mine, t.base), load_b_rows(k, cb.x, cb.y));
    }
    return acc;
}

fn block_conv1_tn(t: Tile, ks: vec2<u32>) -> array<vec4<f32>, 16> {
    let n4 = p.n / 4u;
    let cb = col_blocks(t.col0);
    var acc: array<vec4<f32>, 16>;
    let k_full = ks.x + (ks.y - ks.x) / 4u * 4u;
    var pos = patch_pos(ks.x + t.lane / 2u);
    for (var k0 = ks.x; k0 < k_full; k0 += 4u) {
        update_tn_shared(&acc, patch_taps4(patch_at(pos), t.row0 + 4u * (t.lane % 2u)), t.base, k0, cb);
        pos = advance(pos, 4u);
    }
    for (var kk = k_full; kk < ks.y; kk++) {
        let pt = patch_of(kk);
        update_tn(&acc, patch_taps4(pt, t.row0), patch_taps4(pt, t.row0 + 4u), b_vec4(kk * n4 + cb.x), b_vec4(kk * n4 + cb.y));
    }
    return acc;
}

@compute @workgroup_size(64)
fn conv1_nn(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    store_block(t.row0, t.col0, block_conv1_nn(t), vec4(0.0), vec4(0.0));
}

@compute @workgroup_size(64)
fn conv1_nn_bias(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    let bb = bias_pair(t.col0);
    store_block(t.row0, t.col0, block_conv1_nn(t), bb[0], bb[1]);
}

@compute @workgroup_size(64)
fn conv1_nn_bias_leaky_relu_dropout(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of(lid, wid, sg_lane);
    let bb = bias_pair(t.col0);
    store_block_leaky_relu_dropout(t.row0, t.col0, block_conv1_nn(t), bb[0], bb[1]);
}

// Workgroups of 32 rows: M is the 25 (or 26) taps of one channel.
@compute @workgroup_size(32)
fn conv1_tn(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let t = tile_of_32(lid, wid, sg_lane);
    c_base = wid.z * p.m * p.n / 4u;
    store_block(t.row0, t.col0, block_conv1_tn(t, k_range(wid.z)), vec4(0.0), vec4(0.0));
}

// The adjoint convolution without its column matrix: a transposed
// convolution's forward pass, or a convolution's input gradient. col2im
// would sum, into image pixel (iy, ix), the product of every patch
// (oy, ox) whose tap (ky, kx) lands there: oy·stride + ky = iy + pad_top.
// For a stride s, the taps that reach a pixel depend only on its row's and
// column's remainders mod s, so the pixels are taken in s² classes of
// equal remainders (each workgroup takes one class); the 8 rows of a tile are 8
// pixels of one class and walk the same taps, each reading its own patch
// of P (A, binding 1, [patches, k]) and sharing it by shuffle, while B
// (binding 2) is W [kh·kw·c, k], read as nt reads B: C = Σ_taps P·W_tapᵀ.
// C (binding 3) is the image [pixels, c]. No column matrix is written and
// read back: kh·kw / s² times fewer stores than P · Wᵀ (6 for 5×5 taps at
// stride 2), and no col2im pass.

// The image's output for the entry points' epilogues: the activation of
// conv_t_bias_activation (C keeps its input, the pre-activation).
@group(0) @binding(8) var<storage, read_write> activated: array<vec4<f32>>;

// Class z's pixels: their remainders (py, px), how many rows and columns
// of them an image has, and the first tap that reaches them.
struct PixelClass {
    py: u32,
    px: u32,
    hz: u32,
    wz: u32,
    // ky ≡ py + pad_top (mod stride), and the same for kx
    ky0: u32,
    kx0: u32,
}

fn pixel_class(z: u32) -> PixelClass {
    let s = p.stride;
    let py = z / s;
    let px = z % s;
    let hz = select(0u, (p.h - py + s - 1u) / s, p.h > py);
    let wz = select(0u, (p.w - px + s - 1u) / s, p.w > px);
    return PixelClass(py, px, hz, wz, (py + p.pad_top) % s, (px + p.pad_left) % s);
}

// Row r of a class: its pixel (row of C), its image, and the patch (oy0,
// ox0) that its first tap (ky0, kx0) reads; each further tap along a row
// or column of the kernel (ky or kx up by the stride) reads the patch one
// before.
struct ClassRow {
    pixel: u32,
    image: u32,
    oy0: i32,
    ox0: i32,
}

fn class_row(cl: PixelClass, r: u32) -> ClassRow {
    let per_image = cl.hz * cl.wz;
    let b = r / per_image;
    let q = r % per_image;
    let iy = q / cl.wz * p.stride + cl.py;
    let ix = q % cl.wz * p.stride + cl.px;
    let oy0 = i32((iy + p.pad_top - cl.ky0) / p.stride);
    let ox0 = i32((ix + p.pad_left - cl.kx0) / p.stride);
    return ClassRow((b * p.h + iy) * p.w + ix, b, oy0, ox0);
}

fn block_conv_t(t: Tile, cl: PixelClass, me: ClassRow) -> array<vec4<f32>, 16> {
    let k4 = p.k / 4u;
    var s: array<u32, 8>;
    for (var j = 0u; j < 8u; j++) {
        s[j] = min(t.col0 + j, p.n - 1u) * k4;
    }
    var acc: array<vec4<f32>, 16>;
    var oy = me.oy0;
    for (var ky = cl.ky0; ky < p.kh; ky += p.stride) {
        var ox = me.ox0;
        for (var kx = cl.kx0; kx < p.kw; kx += p.stride) {
            let inside = oy >= 0 && oy < i32(p.oh) && ox >= 0 && ox < i32(p.ow);
            let row = select(0u, ((me.image * p.oh + u32(oy)) * p.ow + u32(ox)) * k4, inside);
            let tap = (ky * p.kw + kx) * p.n * k4;
            for (var j4 = 0u; j4 < k4; j4++) {
                let mine = select(vec4(0.0), a_vec4(row + j4), inside);
                let w = tap + j4;
                let bs = array(b_vec4(s[0] + w), b_vec4(s[1] + w), b_vec4(s[2] + w), b_vec4(s[3] + w), b_vec4(s[4] + w), b_vec4(s[5] + w), b_vec4(s[6] + w), b_vec4(s[7] + w));
                update_nt(&acc, shuffle8(mine, t.base), bs);
            }
            ox -= 1;
        }
        oy -= 1;
    }
    return acc;
}

const NONE: u32 = 0xffffffffu;

// C's vec4 index of each of the tile's 8 rows' first half, or NONE past
// the class's rows or C's columns. Lane r of the group knows row r's
// pixel; every lane takes part in every shuffle.
fn conv_t_dest(t: Tile, rows: u32, pixel_mine: u32) -> array<u32, 8> {
    var dst: array<u32, 8>;
    for (var r = 0u; r < 8u; r++) {
        let pixel = subgroupShuffle(pixel_mine, t.base + r);
        dst[r] = select(NONE, (pixel * p.n + t.col0) / 4u, t.row0 + r < rows && t.col0 < p.n);
    }
    return dst;
}

// The tile's values v (row r's halves at 2r, 2r + 1) into C.
fn store_conv_t(t: Tile, dst: array<u32, 8>, v: array<vec4<f32>, 16>) {
    for (var r = 0u; r < 8u; r++) {
        if dst[r] != NONE {
            c[dst[r]] = v[2u * r];
            if t.col0 + 4u < p.n {
                c[dst[r] + 1u] = v[2u * r + 1u];
            }
        }
    }
}

// The activation of v into `activated`, where store_conv_t puts v.
fn store_conv_t_activated(t: Tile, dst: array<u32, 8>, v: array<vec4<f32>, 16>) {
    for (var r = 0u; r < 8u; r++) {
        if dst[r] != NONE {
            activated[dst[r]] = activate4(p.activation, v[2u * r]);
            if t.col0 + 4u < p.n {
                activated[dst[r] + 1u] = activate4(p.activation, v[2u * r + 1u]);
            }
        }
    }
}

// v through LeakyReLU → dropout's gradient, with the factors the forward
// pass stored (binding 6) where store_conv_t puts v.
fn through_leaky_relu_dropout(t: Tile, dst: array<u32, 8>, v: array<vec4<f32>, 16>) -> array<vec4<f32>, 16> {
    // Rows and halves that store_conv_t skips read a stand-in factor.
    let hi = select(0u, 1u, t.col0 + 4u < p.n);
    var out = v;
    for (var r = 0u; r < 8u; r++) {
        let i = select(0u, dst[r], dst[r] != NONE);
        out[2u * r] = leaky_relu_dropout_grad4(v[2u * r], factor[i], p.alpha);
        out[2u * r + 1u] = leaky_relu_dropout_grad4(v[2u * r + 1u], factor[i + hi], p.alpha);
    }
    return out;
}

fn plus_bias(v: array<vec4<f32>, 16>, col0: u32) -> array<vec4<f32>, 16> {
    let bb = bias_pair(col0);
    var out = v;
    for (var r = 0u; r < 8u; r++) {
        out[2u * r] += bb[0];
        out[2u * r + 1u] += bb[1];
    }
    return out;
}

// A tile: the grid's y runs over (row block, class) with the class fastest,
// so that any run of workgroups mixes the classes' unequal tap counts (a
// CPU driver hands each thread one run: class by class, one thread would
// get the 9-tap classes and the other the 4-tap ones). C has p.m =
// images · h · w rows, a class images · hz · wz of them. A workgroup
// whose class is empty (an image side shorter than the stride) leaves as a
// whole.
struct ConvTTile {
    t: Tile,
    dst: array<u32, 8>,
    acc: array<vec4<f32>, 16>,
    // false: an empty class, nothing to store
    some: bool,
}

fn conv_t_tile(lid: u32, wid: vec3<u32>, sg_lane: u32) -> ConvTTile {
    let classes = p.stride * p.stride;
    let t = tile_of(lid, vec3(wid.x, wid.y / classes, 0u), sg_lane);
    let cl = pixel_class(wid.y % classes);
    let rows = p.m / (p.h * p.w) * cl.hz * cl.wz;
    var out: ConvTTile;
    out.t = t;
    if rows == 0u {
        return out;
    }
    let me = class_row(cl, min(t.row0 + t.lane, rows - 1u));
    out.acc = block_conv_t(t, cl, me);
    out.dst = conv_t_dest(t, rows, me.pixel);
    out.some = true;
    return out;
}

@compute @workgroup_size(64)
fn conv_t(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let x = conv_t_tile(lid, wid, sg_lane);
    if x.some {
        store_conv_t(x.t, x.dst, x.acc);
    }
}

@compute @workgroup_size(64)
fn conv_t_bias(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let x = conv_t_tile(lid, wid, sg_lane);
    if x.some {
        store_conv_t(x.t, x.dst, plus_bias(x.acc, x.t.col0));
    }
}

@compute @workgroup_size(64)
fn conv_t_bias_activation(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let x = conv_t_tile(lid, wid, sg_lane);
    if x.some {
        let y = plus_bias(x.acc, x.t.col0);
        store_conv_t(x.t, x.dst, y);
        store_conv_t_activated(x.t, x.dst, y);
    }
}

@compute @workgroup_size(64)
fn conv_t_leaky_relu_dropout_grad(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sg_lane: u32) {
    let x = conv_t_tile(lid, wid, sg_lane);
    if x.some {
        store_conv_t(x.t, x.dst, through_leaky_relu_dropout(x.t, x.dst, x.acc));
    }
}
