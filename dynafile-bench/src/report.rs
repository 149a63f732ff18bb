//! The report: medians over the repetitions, the table on stdout, the JSON and the SVG chart.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::phases::SystemRun;
use crate::plan::{Better, Figure, Phase, Stat};
use crate::systems::SystemKind;

/// The figures of a whole run: for each figure, the median over the repetitions of each
/// system that ran.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// N: the items loaded.
    pub items: u64,
    /// Repetitions the medians are taken over.
    pub repeat: usize,
    /// The systems that ran, in column order.
    pub systems: Vec<SystemKind>,
    /// Every figure measured, in report order.
    pub rows: Vec<Row>,
}

/// One figure and its medians.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The figure.
    pub figure: Figure,
    /// Its median for each system that has it.
    pub values: BTreeMap<SystemKind, f64>,
}

/// The median of `values` (the mean of the middle two for an even count); `None` if empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

impl Report {
    /// The medians of the runs. `floors` are the fsync floors of phase 0, one per
    /// repetition; `peak_memory` the process's peak resident bytes; both are figures of the
    /// run, reported under `dynafile` as WORKLOAD.md does for `fsync_floor`.
    pub fn new(
        items: u64,
        repeat: usize,
        systems: &[SystemKind],
        floors: &[f64],
        runs: &BTreeMap<SystemKind, Vec<SystemRun>>,
        peak_memory: u64,
    ) -> Report {
        let mut rows = Vec::new();
        for figure in Figure::all() {
            let mut values = BTreeMap::new();
            if figure.phase == Phase::FsyncFloor {
                if let Some(floor) = median(floors) {
                    values.insert(SystemKind::Dynafile, floor);
                }
            } else if figure.stat == Stat::PeakMemory {
                values.insert(SystemKind::Dynafile, peak_memory as f64 / (1 << 20) as f64);
            } else {
                for (&system, system_runs) in runs {
                    let samples: Vec<f64> = system_runs
                        .iter()
                        .filter_map(|run| run.figures.get(&figure).copied())
                        .collect();
                    if let Some(value) = median(&samples) {
                        values.insert(system, value);
                    }
                }
            }
            if !values.is_empty() {
                rows.push(Row { figure, values });
            }
        }
        Report {
            items,
            repeat,
            systems: systems.to_vec(),
            rows,
        }
    }

    /// The median of `figure` for `system`.
    pub fn value(&self, figure: Figure, system: SystemKind) -> Option<f64> {
        self.rows
            .iter()
            .find(|row| row.figure == figure)
            .and_then(|row| row.values.get(&system).copied())
    }

    /// How much better dynafile does than `peer` on `figure`: dynafile/peer for rates,
    /// peer/dynafile where smaller is better, so above 1 dynafile wins either way.
    pub fn ratio(&self, figure: Figure, peer: SystemKind) -> Option<f64> {
        if figure.is_of_the_run() {
            return None;
        }
        let ours = self.value(figure, SystemKind::Dynafile)?;
        let theirs = self.value(figure, peer)?;
        let ratio = match figure.better() {
            Better::Higher => ours / theirs,
            Better::Lower => theirs / ours,
        };
        ratio.is_finite().then_some(ratio)
    }

    /// The JSON: `{"items": N, "phases": [{"name", "unit", "better", "dynafile", "sqlite",
    /// "redb"}, ..]}` with the keys in that order, a system's key absent where it has no
    /// figure.
    pub fn to_json(&self) -> Result<String> {
        /// The whole document.
        #[derive(Serialize)]
        struct Document {
            items: u64,
            phases: Vec<Entry>,
        }
        /// One entry of `phases`.
        #[derive(Serialize)]
        struct Entry {
            name: String,
            unit: &'static str,
            better: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            dynafile: Option<f64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            sqlite: Option<f64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            redb: Option<f64>,
        }
        let phases = self
            .rows
            .iter()
            .map(|row| Entry {
                name: row.figure.name(),
                unit: row.figure.unit(),
                better: row.figure.better().as_str(),
                dynafile: row.values.get(&SystemKind::Dynafile).copied(),
                sqlite: row.values.get(&SystemKind::Sqlite).copied(),
                redb: row.values.get(&SystemKind::Redb).copied(),
            })
            .collect();
        let document = Document {
            items: self.items,
            phases,
        };
        Ok(serde_json::to_string_pretty(&document)? + "\n")
    }

    /// Writes [`Report::to_json`] to `path`.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_json()?).with_context(|| format!("writing {}", path.display()))
    }

    /// The table people read: one row per phase with the three systems' medians, the unit,
    /// the ratios dynafile/SQLite and dynafile/redb, and p50/p99 where measured; then the
    /// durable phases against the fsync floor beside them.
    pub fn table(&self) -> String {
        let peers = [SystemKind::Sqlite, SystemKind::Redb];
        let mut header = vec!["phase".to_owned()];
        header.extend(SystemKind::ALL.iter().map(|s| s.label().to_owned()));
        header.push("unit".to_owned());
        header.extend(peers.iter().map(|p| format!("dynafile/{}", p.label())));
        header.push("p50 µs (d / S / r)".to_owned());
        header.push("p99 µs (d / S / r)".to_owned());
        let mut table = vec![header];
        let latencies = |phase: Phase, stat: Stat| -> String {
            let figure = Figure { phase, stat };
            if self.rows.iter().all(|row| row.figure != figure) {
                return String::new();
            }
            SystemKind::ALL
                .iter()
                .map(|&s| self.value(figure, s).map_or("-".to_owned(), number))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        for row in &self.rows {
            let figure = row.figure;
            let label = match figure.stat {
                Stat::Main => figure.phase.name().to_owned(),
                Stat::Writes => format!("{} (writer)", figure.phase.name()),
                Stat::ThroughClose => format!("{} (through close)", figure.phase.name()),
                _ => continue,
            };
            let mut cells = vec![label];
            cells.extend(
                SystemKind::ALL
                    .iter()
                    .map(|&s| row.values.get(&s).map_or("-".to_owned(), |&v| number(v))),
            );
            cells.push(figure.unit().to_owned());
            cells.extend(peers.iter().map(|&peer| {
                self.ratio(figure, peer)
                    .map_or(String::new(), |r| format!("{r:.2}x"))
            }));
            if figure.stat == Stat::Main && figure.phase.has_latency() {
                cells.push(latencies(figure.phase, Stat::P50));
                cells.push(latencies(figure.phase, Stat::P99));
            }
            table.push(cells);
        }
        let systems: Vec<&str> = self.systems.iter().map(|s| s.label()).collect();
        let mut out = format!(
            "Workload W, N = {} items, {}, medians of {} repetition{}\n\n",
            number(self.items as f64),
            systems.join(", "),
            self.repeat,
            if self.repeat == 1 { "" } else { "s" }
        );
        out += &render(&table);

        let durable: Vec<&Row> = self
            .rows
            .iter()
            .filter(|row| row.figure.stat == Stat::VsFsyncFloor)
            .collect();
        if !durable.is_empty() {
            out += "\nDurable phases against the fsync floor measured beside them \
                    (commits/s over fsyncs/s; a load commit is 1,000 items):\n";
            let mut header = vec!["phase".to_owned()];
            header.extend(SystemKind::ALL.iter().map(|s| s.label().to_owned()));
            let mut table = vec![header];
            for row in durable {
                let mut cells = vec![row.figure.phase.name().to_owned()];
                cells.extend(SystemKind::ALL.iter().map(|s| {
                    row.values
                        .get(s)
                        .map_or("-".to_owned(), |v| format!("{v:.2}x"))
                }));
                table.push(cells);
            }
            out += &render(&table);
        }

        out += "\nAbove 1 dynafile wins: the ratio is dynafile/peer for rates and peer/dynafile \
                for reopen, size, write_amplification and latencies (smaller is better).\n";
        out += "fsync_floor is the disk's figure (phase 0, in the bench's directory).\n";
        if let Some(peak) = self.value(
            Figure {
                phase: Phase::Size,
                stat: Stat::PeakMemory,
            },
            SystemKind::Dynafile,
        ) {
            let _ = writeln!(
                out,
                "Peak resident memory of the whole run (VmHWM, every system run): {peak:.1} MiB."
            );
        }
        out
    }

    /// Draws the ratios dynafile/SQLite and dynafile/redb of every phase as a bar chart into
    /// an SVG file: one pair of horizontal bars per phase, from 1 to the ratio on a log scale.
    pub fn write_svg(&self, path: &Path) -> Result<()> {
        use plotters::prelude::*;
        use plotters::style::text_anchor::{HPos, Pos, VPos};

        let peers = [
            (SystemKind::Sqlite, RGBColor(31, 119, 180)),
            (SystemKind::Redb, RGBColor(255, 127, 14)),
        ];
        // One entry per phase figure with a ratio, the first phase at the top.
        let bars: Vec<(String, [Option<f64>; 2])> = self
            .rows
            .iter()
            .filter(|row| {
                matches!(
                    row.figure.stat,
                    Stat::Main | Stat::Writes | Stat::ThroughClose
                )
            })
            .map(|row| {
                let ratios = peers.map(|(peer, _)| self.ratio(row.figure, peer));
                (row.figure.name(), ratios)
            })
            .filter(|(_, ratios)| ratios.iter().any(Option::is_some))
            .collect();
        if bars.is_empty() {
            bail!("--svg draws ratios: run dynafile and at least one peer");
        }
        let all = bars.iter().flat_map(|(_, ratios)| ratios.iter().flatten());
        let (low, high) = all.fold((1.0f64, 1.0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
        let (low, high) = (low / 2.0, high * 2.0);
        let count = bars.len() as i32;
        let height = 160 + 36 * bars.len() as u32;

        let draw = || -> Result<(), Box<dyn std::error::Error + '_>> {
            let root = SVGBackend::new(path, (1100, height)).into_drawing_area();
            root.fill(&WHITE)?;
            let caption = format!(
                "dynafile against SQLite and redb: N = {}, medians of {} (above 1: dynafile wins)",
                number(self.items as f64),
                self.repeat
            );
            let mut chart = ChartBuilder::on(&root)
                .caption(caption, ("sans-serif", 20))
                .margin(16)
                .x_label_area_size(40)
                .y_label_area_size(230)
                // One segment more than bars, left empty at the top for the legend.
                .build_cartesian_2d((low..high).log_scale(), (0..count + 1).into_segmented())?;
            // Segment `count - 1 - i` holds bar `i`, so that the first phase is at the top.
            let row_of = |i: usize| count - 1 - i as i32;
            let names: Vec<String> = bars.iter().map(|(name, _)| name.clone()).collect();
            let label = |value: &SegmentValue<i32>| match value {
                SegmentValue::CenterOf(segment) => usize::try_from(count - 1 - segment)
                    .ok()
                    .and_then(|i| names.get(i).cloned())
                    .unwrap_or_default(),
                _ => String::new(),
            };
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(bars.len() + 1)
                .y_label_formatter(&label)
                .y_label_style(("sans-serif", 15))
                .x_desc("dynafile's advantage (log scale)")
                .x_label_formatter(&|v| format!("{v}x"))
                .draw()?;

            for (column, (peer, color)) in peers.iter().enumerate() {
                // The SQLite bar in the upper half of the phase's segment, redb's below.
                let bars_of_peer: Vec<(i32, f64)> = bars
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (_, ratios))| ratios[column].map(|r| (row_of(i), r)))
                    .collect();
                let half = |segment: i32| {
                    if column == 0 {
                        (
                            SegmentValue::CenterOf(segment),
                            SegmentValue::Exact(segment + 1),
                        )
                    } else {
                        (
                            SegmentValue::Exact(segment),
                            SegmentValue::CenterOf(segment),
                        )
                    }
                };
                let rectangles = bars_of_peer.iter().map(|&(segment, ratio)| {
                    let (bottom, top) = half(segment);
                    let mut rectangle =
                        Rectangle::new([(1.0, bottom), (ratio, top)], color.filled());
                    rectangle.set_margin(2, 2, 0, 0);
                    rectangle
                });
                chart
                    .draw_series(rectangles)?
                    .label(format!("dynafile / {}", peer.label()))
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled())
                    });
                let vertical = if column == 0 { VPos::Bottom } else { VPos::Top };
                let style = TextStyle::from(("sans-serif", 12).into_font())
                    .pos(Pos::new(HPos::Left, vertical));
                chart.draw_series(bars_of_peer.iter().map(|&(segment, ratio)| {
                    EmptyElement::at((ratio.max(1.0), SegmentValue::CenterOf(segment)))
                        + Text::new(format!("{ratio:.2}x"), (4, 0), style.clone())
                }))?;
            }
            chart.draw_series(std::iter::once(PathElement::new(
                vec![
                    (1.0, SegmentValue::Exact(0)),
                    (1.0, SegmentValue::Exact(count)),
                ],
                BLACK.stroke_width(1),
            )))?;
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK)
                .draw()?;
            root.present()?;
            Ok(())
        };
        draw().map_err(|e| anyhow::anyhow!("drawing {}: {e}", path.display()))
    }
}

/// A figure as people read it: thousands separated, about three significant digits.
pub fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1000.0 {
        let digits = format!("{:.0}", magnitude);
        let mut grouped = String::new();
        for (k, c) in digits.chars().enumerate() {
            if k > 0 && (digits.len() - k) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if value < 0.0 {
            grouped.insert(0, '-');
        }
        grouped
    } else if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

/// Renders rows of cells as aligned columns: the first left-aligned, the others right.
fn render(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|row| row.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                line += cell;
                line += &" ".repeat(pad);
            } else {
                line += "  ";
                line += &" ".repeat(pad);
                line += cell;
            }
        }
        out += line.trim_end();
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(pairs: &[(Figure, f64)]) -> SystemRun {
        SystemRun {
            figures: pairs.iter().copied().collect(),
            scan_matches: 0,
        }
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn json_has_the_agreed_shape() -> Result<()> {
        let get = Figure::main(Phase::Get);
        let reopen = Figure::main(Phase::Reopen);
        let mut runs = BTreeMap::new();
        runs.insert(
            SystemKind::Dynafile,
            vec![
                run(&[(get, 100.0), (reopen, 2.0)]),
                run(&[(get, 123.0), (reopen, 4.0)]),
                run(&[(get, 200.0), (reopen, 3.0)]),
            ],
        );
        runs.insert(SystemKind::Sqlite, vec![run(&[(get, 100.0)])]);
        runs.insert(SystemKind::Redb, vec![run(&[(get, 90.0)])]);
        let report = Report::new(
            1000,
            3,
            &SystemKind::ALL,
            &[10.0, 30.0, 20.0],
            &runs,
            64 << 20,
        );
        let text = report.to_json()?;
        let json: serde_json::Value = serde_json::from_str(&text)?;
        assert_eq!(
            json,
            json!({
                "items": 1000,
                "phases": [
                    {"name": "fsync_floor", "unit": "fsyncs/s", "better": "higher",
                     "dynafile": 20.0},
                    {"name": "get", "unit": "ops/s", "better": "higher",
                     "dynafile": 123.0, "sqlite": 100.0, "redb": 90.0},
                    {"name": "reopen", "unit": "ms", "better": "lower", "dynafile": 3.0},
                    {"name": "size.peak_memory", "unit": "MiB", "better": "lower",
                     "dynafile": 64.0},
                ]
            })
        );
        // Keys in the agreed order.
        let compact: String = text.split_whitespace().collect();
        assert!(
            compact.starts_with(r#"{"items":1000,"phases":[{"name":"fsync_floor","unit""#),
            "{compact}"
        );
        assert!(
            compact.contains(
                r#"{"name":"get","unit":"ops/s","better":"higher","dynafile":123.0,"sqlite":100.0,"redb":90.0}"#
            ),
            "{compact}"
        );
        Ok(())
    }

    #[test]
    fn ratios_read_above_one_as_a_win() {
        let mut runs = BTreeMap::new();
        let get = Figure::main(Phase::Get);
        let size = Figure::main(Phase::Size);
        runs.insert(
            SystemKind::Dynafile,
            vec![run(&[(get, 200.0), (size, 100.0)])],
        );
        runs.insert(
            SystemKind::Sqlite,
            vec![run(&[(get, 100.0), (size, 300.0)])],
        );
        let report = Report::new(100, 1, &SystemKind::ALL[..2], &[1.0], &runs, 0);
        assert_eq!(report.ratio(get, SystemKind::Sqlite), Some(2.0));
        assert_eq!(report.ratio(size, SystemKind::Sqlite), Some(3.0));
        assert_eq!(report.ratio(get, SystemKind::Redb), None);
        assert_eq!(
            report.ratio(Figure::main(Phase::FsyncFloor), SystemKind::Sqlite),
            None
        );
        let table = report.table();
        assert!(table.contains("2.00x"), "{table}");
        assert!(table.contains("3.00x"), "{table}");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(1_234_567.8), "1,234,568");
        assert_eq!(number(999.4), "999");
        assert_eq!(number(12.34), "12.3");
        assert_eq!(number(1.234), "1.23");
        assert_eq!(number(0.1234), "0.123");
    }

    #[test]
    fn svg_is_drawn() -> Result<()> {
        let mut runs = BTreeMap::new();
        let get = Figure::main(Phase::Get);
        runs.insert(SystemKind::Dynafile, vec![run(&[(get, 200.0)])]);
        runs.insert(SystemKind::Sqlite, vec![run(&[(get, 100.0)])]);
        runs.insert(SystemKind::Redb, vec![run(&[(get, 400.0)])]);
        let report = Report::new(100, 1, &SystemKind::ALL, &[1.0], &runs, 0);
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("chart.svg");
        report.write_svg(&path)?;
        let svg = std::fs::read_to_string(&path)?;
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(100)]);
        assert!(svg.contains("dynafile / SQLite"));
        Ok(())
    }
}
