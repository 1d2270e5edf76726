// An exponential moving average of a parameter buffer (the generator's
// weights, sampled in place of the live ones: Yazıcı et al. 2019), one
// invocation per element, over a whole network's buffer at once:
//   average ← d·average + (1-d)·param
// With `warmup` set, d = min(decay, (1 + t)/(10 + t)) at t = steps done
// before this one (TensorFlow's ExponentialMovingAverage with num_updates),
// so that the first steps' average follows the weights instead of keeping
// the random initial ones for ~1/(1 - decay) steps. decay 0 without
// warm-up copies the parameters: that is how the average starts.

struct Params {
    len: u32,
    decay: f32,
    // 1: the warm-up above; 0: d = decay
    warmup: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> average: array<f32>;
@group(0) @binding(3) var<storage, read> counter: StepCounter;

@compute @workgroup_size(GRID_WORKGROUP)
fn ema(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(gid, nwg);
    if i >= p.len {
        return;
    }
    var d = p.decay;
    if p.warmup != 0u {
        let t = f32(counter.step);
        d = min(d, (1.0 + t) / (10.0 + t));
    }
    average[i] = d * average[i] + (1.0 - d) * param[i];
}
