// Gathers a training batch (and its labels) on the GPU: the whole data set
// lives on the device as bytes (four pixels per u32), the epoch's shuffled
// order as
// indices, and each step reads its batch start from the step counter buffer,
// so the recorded training program needs no upload per step. Pixels are
// scaled from [0, 255] to [-1, 1] for the generator's tanh range.

struct Params {
    // images in the batch
    count: u32,
    // pixels per image
    pixels: u32,
    // first element of `out` to write
    dst_offset: u32,
    // gather_images_shifted: the image's width, the largest shift in
    // pixels, and the shifts' random stream (rng.wgsl)
    width: u32,
    max_shift: u32,
    seed: u32,
    salt: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dataset: array<u32>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// counter.batch_start: position in `order` of this step's first image
@group(0) @binding(4) var<storage, read> counter: StepCounter;

@compute @workgroup_size(GRID_WORKGROUP)
fn gather_images(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i >= p.count * p.pixels {
        return;
    }
    let image = order[counter.batch_start + i / p.pixels];
    let byte_index = image * p.pixels + i % p.pixels;
    let byte = (dataset[byte_index / 4u] >> (8u * (byte_index % 4u))) & 0xffu;
    out[p.dst_offset + i] = f32(byte) / 127.5 - 1.0;
}

// gather_images with each image moved by a random whole number of pixels,
// up to max_shift each way on each axis, the pixels moved in from past
// the edge black (byte 0): the data augmentation of the classifier's
// training, so that it learns garments, not their exact place in the
// frame. Image b's shift comes from draw b of the step's stream, the
// same for all its pixels.
@compute @workgroup_size(GRID_WORKGROUP)
fn gather_images_shifted(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i >= p.count * p.pixels {
        return;
    }
    let b = i / p.pixels;
    let pixel = i % p.pixels;
    let span = 2u * p.max_shift + 1u;
    let r = rng_u32(rng_key(p.seed, p.salt, counter.step), b);
    // The shift is (dx, dy) = (r % span, r / span % span) - max_shift, and
    // the source pixel (row - dy, column - dx); x and y are its column and
    // row plus max_shift, so that they stay unsigned.
    let x = pixel % p.width + 2u * p.max_shift - r % span;
    let y = pixel / p.width + 2u * p.max_shift - r / span % span;
    let height = p.pixels / p.width;
    var byte = 0u;
    if x >= p.max_shift && x < p.width + p.max_shift && y >= p.max_shift && y < height + p.max_shift {
        let byte_index = order[counter.batch_start + b] * p.pixels + (y - p.max_shift) * p.width + x - p.max_shift;
        byte = (dataset[byte_index / 4u] >> (8u * (byte_index % 4u))) & 0xffu;
    }
    out[p.dst_offset + i] = f32(byte) / 127.5 - 1.0;
}

// The class labels of the same batch (one byte each, so `pixels` is 1):
// out[dst_offset + i] = label of image order[counter.batch_start + i], as a
// float class index for the softmax loss.
@compute @workgroup_size(GRID_WORKGROUP)
fn gather_labels(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i >= p.count {
        return;
    }
    let label = order[counter.batch_start + i];
    let byte = (dataset[label / 4u] >> (8u * (label % 4u))) & 0xffu;
    out[p.dst_offset + i] = f32(byte);
}
