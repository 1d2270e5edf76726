//! The figures `eval` gives, from two sets of classifier features: the
//! reference set (the test images) and the evaluated set (samples).
//!
//! - FID (Heusel et al. 2017): the Fréchet distance between Gaussians
//!   fitted to the two sets, in f64, the square root by nalgebra's
//!   symmetric eigen-decomposition.
//! - KID (Bińkowski et al. 2018): the unbiased MMD² with the cubic
//!   polynomial kernel k(x, y) = (x·y / d + 1)³, averaged over disjoint
//!   subsets, with the standard error of that mean.
//! - Precision and recall (Kynkäänniemi et al. 2019): each set's manifold
//!   is the union of balls reaching each point's k-th nearest neighbour;
//!   precision is the share of samples inside the reference manifold,
//!   recall the share of reference images inside the samples'.
//!
//! Every pairwise product comes from [`gram`], our matmul kernel on the GPU.

use crate::error::Result;
use crate::gpu::{Gpu, Program};
use crate::ops::matmul::{matmul, Operand};
use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Feature vectors, `dim` floats each, row-major.
pub struct FeatureSet<'a> {
    pub rows: &'a [f32],
    pub dim: usize,
}

impl FeatureSet<'_> {
    pub fn len(&self) -> usize {
        self.rows.len() / self.dim
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.rows[i * self.dim..(i + 1) * self.dim]
    }
}

/// a · bᵀ ([a.len(), b.len()], row-major) on the GPU, in row chunks that
/// fit the device's storage binding limit.
pub async fn gram(gpu: &Gpu, a: &FeatureSet<'_>, b: &FeatureSet<'_>) -> Result<Vec<f32>> {
    let max_bytes = gpu.limits.max_storage_buffer_binding_size as usize;
    let rows = (max_bytes / (4 * b.len().max(1))).clamp(1, 4096);
    gram_in_chunks(gpu, a, b, rows).await
}

/// [`gram`], `chunk` rows of a at a time.
pub async fn gram_in_chunks(
    gpu: &Gpu,
    a: &FeatureSet<'_>,
    b: &FeatureSet<'_>,
    chunk: usize,
) -> Result<Vec<f32>> {
    let (na, nb, d) = (a.len(), b.len(), a.dim);
    let at = gpu.upload("gram a", &[na, d], a.rows)?;
    let bt = gpu.upload("gram b", &[nb, d], b.rows)?;
    let chunk = chunk.clamp(1, na.max(1));
    let out = gpu.zeros("gram rows", &[chunk, nb])?;
    let mut all = Vec::with_capacity(na * nb);
    for start in (0..na).step_by(chunk) {
        let rows = chunk.min(na - start);
        let a_rows = at.view(start * d, &[rows, d])?;
        let out_rows = out.view(0, &[rows, nb])?;
        let mut p = Program::new();
        matmul(
            gpu,
            &mut p,
            Operand::plain(&a_rows),
            Operand::transposed(&bt),
            None,
            &out_rows,
        )?;
        gpu.run(&p)?;
        all.extend(gpu.download::<f32>(&out_rows).await?);
    }
    Ok(all)
}

/// Mean and unbiased covariance of the rows, in f64.
pub fn mean_and_covariance(set: &FeatureSet) -> (DVector<f64>, DMatrix<f64>) {
    let (n, d) = (set.len(), set.dim);
    let mut mean = DVector::zeros(d);
    for i in 0..n {
        for (m, &v) in mean.iter_mut().zip(set.row(i)) {
            *m += v as f64;
        }
    }
    mean /= n as f64;
    let mut centred = DMatrix::zeros(n, d);
    for i in 0..n {
        for (j, &v) in set.row(i).iter().enumerate() {
            centred[(i, j)] = v as f64 - mean[j];
        }
    }
    let cov = centred.transpose() * &centred / (n.max(2) - 1) as f64;
    (mean, cov)
}

/// The square root of a symmetric positive semi-definite matrix; rounding
/// makes tiny eigenvalues negative, which count as zero.
fn sqrt_psd(m: &DMatrix<f64>) -> DMatrix<f64> {
    let eig = SymmetricEigen::new(m.clone());
    let roots = eig.eigenvalues.map(|v| v.max(0.0).sqrt());
    &eig.eigenvectors * DMatrix::from_diagonal(&roots) * eig.eigenvectors.transpose()
}

/// FID = |μ₁ - μ₂|² + tr(Σ₁ + Σ₂ - 2 (Σ₁ Σ₂)^½). tr (Σ₁ Σ₂)^½ is taken as
/// tr (Σ₁^½ Σ₂ Σ₁^½)^½: the same eigenvalues, and a symmetric matrix.
pub fn fid(a: &FeatureSet, b: &FeatureSet) -> f64 {
    let (mu1, s1) = mean_and_covariance(a);
    let (mu2, s2) = mean_and_covariance(b);
    let r1 = sqrt_psd(&s1);
    let mid = &r1 * &s2 * &r1;
    let mid = (&mid + mid.transpose()) * 0.5;
    let cross: f64 = SymmetricEigen::new(mid)
        .eigenvalues
        .iter()
        .map(|v| v.max(0.0).sqrt())
        .sum();
    (mu1 - mu2).norm_squared() + s1.trace() + s2.trace() - 2.0 * cross
}

/// Dot products within and across the two sets, from [`gram`].
pub struct Grams {
    pub na: usize,
    pub nb: usize,
    pub dim: usize,
    pub aa: Vec<f32>,
    pub bb: Vec<f32>,
    pub ab: Vec<f32>,
}

impl Grams {
    pub async fn new(gpu: &Gpu, a: &FeatureSet<'_>, b: &FeatureSet<'_>) -> Result<Grams> {
        Ok(Grams {
            na: a.len(),
            nb: b.len(),
            dim: a.dim,
            aa: gram(gpu, a, a).await?,
            bb: gram(gpu, b, b).await?,
            ab: gram(gpu, a, b).await?,
        })
    }
}

/// KID over `subsets` disjoint random subsets of each set (seeded), each
/// of n / subsets points: (mean, standard error of the mean).
pub fn kid(g: &Grams, subsets: usize, seed: u64) -> (f64, f64) {
    let m = g.na.min(g.nb) / subsets;
    assert!(m >= 2, "KID needs at least 2 points per subset");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut ia: Vec<usize> = (0..g.na).collect();
    let mut ib: Vec<usize> = (0..g.nb).collect();
    ia.shuffle(&mut rng);
    ib.shuffle(&mut rng);
    let k = |dot: f32| (dot as f64 / g.dim as f64 + 1.0).powi(3);
    let estimates: Vec<f64> = (0..subsets)
        .map(|s| {
            let (sa, sb) = (&ia[s * m..(s + 1) * m], &ib[s * m..(s + 1) * m]);
            let (mut xx, mut yy, mut xy) = (0.0, 0.0, 0.0);
            for (p, &i) in sa.iter().enumerate() {
                for (q, &j) in sa.iter().enumerate() {
                    if p != q {
                        xx += k(g.aa[i * g.na + j]);
                    }
                }
            }
            for (p, &i) in sb.iter().enumerate() {
                for (q, &j) in sb.iter().enumerate() {
                    if p != q {
                        yy += k(g.bb[i * g.nb + j]);
                    }
                }
            }
            for &i in sa {
                for &j in sb {
                    xy += k(g.ab[i * g.nb + j]);
                }
            }
            let mf = m as f64;
            (xx + yy) / (mf * (mf - 1.0)) - 2.0 * xy / (mf * mf)
        })
        .collect();
    let s = estimates.len() as f64;
    let mean = estimates.iter().sum::<f64>() / s;
    let var = estimates.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (s - 1.0).max(1.0);
    (mean, (var / s).sqrt())
}

/// Squared distance to each point's k-th nearest other point in its set,
/// from the set's Gram matrix.
fn kth_neighbour_radii(gram: &[f32], n: usize, k: usize) -> Vec<f64> {
    let norm = |i: usize| gram[i * n + i] as f64;
    (0..n)
        .map(|i| {
            let mut d: Vec<f64> = (0..n)
                .filter(|&j| j != i)
                .map(|j| (norm(i) + norm(j) - 2.0 * gram[i * n + j] as f64).max(0.0))
                .collect();
            let kth = k.min(d.len()) - 1;
            *d.select_nth_unstable_by(kth, f64::total_cmp).1
        })
        .collect()
}

/// (precision, recall) with k-th neighbour manifolds, a the reference set.
pub fn precision_recall(g: &Grams, k: usize) -> (f64, f64) {
    let ra = kth_neighbour_radii(&g.aa, g.na, k);
    let rb = kth_neighbour_radii(&g.bb, g.nb, k);
    let na_norm = |i: usize| g.aa[i * g.na + i] as f64;
    let nb_norm = |j: usize| g.bb[j * g.nb + j] as f64;
    let dist = |i: usize, j: usize| na_norm(i) + nb_norm(j) - 2.0 * g.ab[i * g.nb + j] as f64;
    let precision = (0..g.nb)
        .filter(|&j| (0..g.na).any(|i| dist(i, j) <= ra[i]))
        .count() as f64
        / g.nb as f64;
    let recall = (0..g.na)
        .filter(|&i| (0..g.nb).any(|j| dist(i, j) <= rb[j]))
        .count() as f64
        / g.na as f64;
    (precision, recall)
}

/// How many samples the classifier puts in each class.
pub fn class_histogram(classes: &[usize], count: usize) -> Vec<usize> {
    let mut h = vec![0; count];
    for &c in classes {
        h[c] += 1;
    }
    h
}

/// For each class c, the share of the samples drawn as class c
/// (`intended`) that the classifier puts in class c (`predicted`); NaN for
/// a class no sample was drawn as.
pub fn class_agreement(predicted: &[usize], intended: &[usize], count: usize) -> Vec<f64> {
    let mut asked = vec![0usize; count];
    let mut agreed = vec![0usize; count];
    for (&p, &i) in predicted.iter().zip(intended) {
        asked[i] += 1;
        agreed[i] += usize::from(p == i);
    }
    asked
        .iter()
        .zip(&agreed)
        .map(|(&a, &g)| g as f64 / a as f64)
        .collect()
}

/// Classes holding at least `share` of the samples.
pub fn classes_covered(histogram: &[usize], share: f64) -> usize {
    let n: usize = histogram.iter().sum();
    histogram
        .iter()
        .filter(|&&c| c as f64 >= share * n as f64)
        .count()
}
