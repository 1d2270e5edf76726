//! What a run leaves on disk besides checkpoints: image grids, metrics.csv,
//! loss.png, progress.gif and (with --eval-every) eval.png.

use super::sampler::grid_image;
use crate::error::{io_err, Error, Result};
use plotters::prelude::*;
use std::io::Write;
use std::path::Path;

/// Writes images in [-1, 1] ([n, h, w, c] row-major) as a PNG grid, grey
/// or RGB (see [`grid_image`]).
pub fn save_grid(
    path: &Path,
    images: &[f32],
    n: usize,
    hwc: (usize, usize, usize),
    cols: usize,
    scale: usize,
) -> Result<()> {
    grid_image(images, n, hwc, cols, scale)
        .save(path)
        .map_err(|e| Error::Output {
            path: path.to_path_buf(),
            msg: format!("writing PNG: {e}"),
        })
}

/// Columns of a square-ish grid of `n` images.
pub fn square_cols(n: usize) -> usize {
    (n as f64).sqrt().ceil() as usize
}

/// The frames of progress.gif in `samples`: `samples/{prefix}_*.png`, in
/// name order (their numbers are zero-padded).
pub fn movie_frames(samples: &Path, prefix: &str) -> Result<Vec<std::path::PathBuf>> {
    let mut frames: Vec<_> = std::fs::read_dir(samples)
        .map_err(io_err(samples))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "png")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{prefix}_")))
        })
        .collect();
    frames.sort();
    Ok(frames)
}

/// Shown this long each; the last frame of a movie twice as long, so the
/// loop's restart is visible.
pub const FRAME_MS: u32 = 250;
/// Movie frames wider than this are shrunk by a whole factor.
const MOVIE_WIDTH: u32 = 480;

/// Writes `frames` (PNG grids) as progress.gif at `path`: see [`write_gif`].
/// The grids are drawn at 4×; at 2× a frame is a quarter of the bytes, and
/// nearest-neighbour keeps every pixel a block.
pub fn write_movie(path: &Path, frames: &[std::path::PathBuf]) -> Result<()> {
    let mut images = Vec::with_capacity(frames.len());
    for (i, frame) in frames.iter().enumerate() {
        let grid = image::open(frame)
            .map_err(|e| Error::Output {
                path: path.to_path_buf(),
                msg: format!("reading frame {}: {e}", frame.display()),
            })?
            .to_rgba8();
        let shrink = grid.width().div_ceil(MOVIE_WIDTH).max(1);
        let (w, h) = (grid.width() / shrink, grid.height() / shrink);
        let ms = if i + 1 == frames.len() {
            2 * FRAME_MS
        } else {
            FRAME_MS
        };
        let small = image::imageops::resize(&grid, w, h, image::imageops::FilterType::Nearest);
        images.push((small, ms));
    }
    write_gif(path, images)
}

/// Writes (frame, milliseconds) pairs as an endlessly looping GIF through
/// the image crate's encoder, atomically: a run stopped at any moment
/// leaves the previous file whole.
pub fn write_gif(path: &Path, frames: Vec<(image::RgbaImage, u32)>) -> Result<()> {
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Delay, Frame};
    let gif_err = |e: image::ImageError| Error::Output {
        path: path.to_path_buf(),
        msg: format!("writing GIF: {e}"),
    };
    let mut bytes = Vec::new();
    {
        // Speed 30 of NeuQuant's 1–30: the frames are grey, so its palette
        // search has little to find.
        let mut gif = GifEncoder::new_with_speed(&mut bytes, 30);
        gif.set_repeat(Repeat::Infinite).map_err(gif_err)?;
        for (rgba, ms) in frames {
            let delay = Delay::from_numer_denom_ms(ms, 1);
            gif.encode_frame(Frame::from_parts(rgba, 0, 0, delay))
                .map_err(gif_err)?;
        }
    }
    super::checkpoint::write_atomically(path, &bytes)
}

/// One row of metrics.csv.
#[derive(Clone, Debug)]
pub struct Row {
    pub kind: &'static str,
    pub epoch: usize,
    pub step: u64,
    pub m: super::Metrics,
    pub images_per_sec: f64,
    pub elapsed_s: f64,
}

pub const CSV_HEADER: &str = "kind,epoch,step,d_loss,g_loss,d_accuracy,d_real,d_fake,images_per_sec,elapsed_s,fid,kid,kid_se,precision,recall,classes_covered";

/// The sample-quality columns that only `eval` rows fill.
const EVAL_COLUMNS: usize = 6;

/// What `--eval-every` measured at the end of an epoch (`gan-gpu eval`'s
/// figures).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvalRow {
    /// 0-based, as in the other rows.
    pub epoch: usize,
    pub step: u64,
    pub elapsed_s: f64,
    pub fid: f64,
    pub kid: f64,
    pub kid_se: f64,
    pub precision: f64,
    pub recall: f64,
    pub classes_covered: usize,
}

fn open_csv(path: &Path) -> Result<std::fs::File> {
    let new = !path.exists();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io_err(path))?;
    if new {
        writeln!(f, "{CSV_HEADER}").map_err(io_err(path))?;
    }
    Ok(f)
}

/// Appends an `eval` row to metrics.csv; the loss columns stay empty.
pub fn append_eval_csv(path: &Path, r: &EvalRow) -> Result<()> {
    let mut f = open_csv(path)?;
    writeln!(
        f,
        "eval,{},{},,,,,,,{:.3},{:.4},{:.6},{:.6},{:.4},{:.4},{}",
        r.epoch,
        r.step,
        r.elapsed_s,
        r.fid,
        r.kid,
        r.kid_se,
        r.precision,
        r.recall,
        r.classes_covered
    )
    .map_err(io_err(path))
}

/// The `eval` rows of metrics.csv (a resumed run plots its whole history).
pub fn read_csv_evals(path: &Path) -> Vec<EvalRow> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| l.starts_with("eval,"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
            Some(EvalRow {
                epoch: num(1)? as usize,
                step: num(2)? as u64,
                elapsed_s: num(9)?,
                fid: num(10)?,
                kid: num(11)?,
                kid_se: num(12)?,
                precision: num(13)?,
                recall: num(14)?,
                classes_covered: num(15)? as usize,
            })
        })
        .collect()
}

/// Appends rows to metrics.csv (created with its header when new).
pub fn append_csv(path: &Path, rows: &[Row]) -> Result<()> {
    let mut f = open_csv(path)?;
    let no_eval = ",".repeat(EVAL_COLUMNS);
    for r in rows {
        writeln!(
            f,
            "{},{},{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.1},{:.3}{no_eval}",
            r.kind,
            r.epoch,
            r.step,
            r.m.d_loss,
            r.m.g_loss,
            r.m.d_accuracy,
            r.m.d_real,
            r.m.d_fake,
            r.images_per_sec,
            r.elapsed_s
        )
        .map_err(io_err(path))?;
    }
    Ok(())
}

/// Drops the rows of metrics.csv logged after global step `step` (a
/// resumed run redoes those steps); rewritten atomically.
pub fn truncate_csv_after(path: &Path, step: u64) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let mut kept = String::new();
    for (i, line) in text.lines().enumerate() {
        let row_step = line.split(',').nth(2).and_then(|v| v.parse::<u64>().ok());
        if i == 0 || row_step.is_some_and(|s| s <= step) {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    if kept.len() != text.len() {
        crate::train::checkpoint::write_atomically(path, kept.as_bytes())?;
    }
    Ok(())
}

/// (step, D loss, G loss, D accuracy).
pub type Point = (f64, f64, f64, f64);

/// Reads the step rows back from metrics.csv (so a resumed run plots its
/// whole history).
pub fn read_csv_steps(path: &Path) -> Vec<Point> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .skip(1)
        .filter(|l| l.starts_with("step,"))
        .filter_map(|l| {
            let f: Vec<f64> = l
                .split(',')
                .skip(2)
                .map(|v| v.parse().unwrap_or(f64::NAN))
                .collect();
            (f.len() >= 4).then(|| (f[0], f[1], f[2], f[3]))
        })
        .collect()
}

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// A line on a plot: its legend, colour and (x, y) points.
type Series<'a> = (&'a str, RGBColor, Vec<(f64, f64)>);

/// Draws D loss, G loss and D accuracy against the step into a PNG.
/// `points` are (step, d_loss, g_loss, d_accuracy).
pub fn plot_losses(path: &Path, points: &[Point]) -> Result<()> {
    let series = |column: usize| {
        points
            .iter()
            .map(|p| (p.0, [p.1, p.2, p.3][column]))
            .collect()
    };
    let lines = [
        ("D loss", RED, series(0)),
        ("G loss", BLUE, series(1)),
        ("D accuracy", GREEN, series(2)),
    ];
    plot(
        path,
        "gan-gpu training",
        ("step", "loss / accuracy"),
        &lines,
    )
}

/// Draws FID (and the classes covered, scaled to share its axis) against
/// the epoch from the `eval` rows.
pub fn plot_evals(path: &Path, rows: &[EvalRow]) -> Result<()> {
    let top = rows
        .iter()
        .map(|r| r.fid)
        .filter(|v| v.is_finite())
        .fold(1.0, f64::max);
    let lines = [
        (
            "FID",
            RED,
            rows.iter().map(|r| (r.epoch as f64 + 1.0, r.fid)).collect(),
        ),
        (
            "classes covered (10 = top)",
            BLUE,
            rows.iter()
                .map(|r| (r.epoch as f64 + 1.0, top * r.classes_covered as f64 / 10.0))
                .collect(),
        ),
    ];
    plot(
        path,
        "gan-gpu sample quality (gan-gpu eval)",
        ("epoch", "FID"),
        &lines,
    )
}

fn plot(
    path: &Path,
    caption: &str,
    (x_desc, y_desc): (&str, &str),
    lines: &[Series],
) -> Result<()> {
    let plot_err = |e: String| Error::Output {
        path: path.to_path_buf(),
        msg: format!("drawing plot: {e}"),
    };
    let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    let (w, h) = (960u32, 540u32);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_err(e.to_string()))?;
        let all = || lines.iter().flat_map(|l| l.2.iter());
        let max_x = all().map(|p| p.0).fold(1.0, f64::max);
        let max_y = all()
            .map(|p| p.1)
            .filter(|v| v.is_finite())
            .fold(1.0, f64::max)
            * 1.05;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..max_x, 0.0..max_y)
            .map_err(|e| plot_err(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(|e| plot_err(e.to_string()))?;
        for (label, color, points) in lines {
            let color = *color;
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(|e| plot_err(e.to_string()))?
                .label(*label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| plot_err(e.to_string()))?;
        root.present().map_err(|e| plot_err(e.to_string()))?;
    }
    image::RgbImage::from_raw(w, h, buf)
        .expect("buffer matches the image size")
        .save(path)
        .map_err(|e| plot_err(e.to_string()))
}
