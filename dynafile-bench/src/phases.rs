//! The phases of workload W, written once against the [`Session`] trait, and the run of one
//! system through phases 1 to 15 on a fresh directory.
//!
//! Every phase prepares its inputs (items, keys) before its clock starts, so that what is
//! timed is the system's work: encoding the items given, decoding the items returned, and
//! for scans the filter on every item.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, ensure};
use dynafile::{Item, Number, Value};

use crate::data::{self, Draws, KEY_SEED, KeyPair};
use crate::measure::{self, FloorSample, Latencies, rate};
use crate::plan::{Figure, Phase, Plan, Stat};
use crate::progress::Progress;
use crate::systems::{Database, Durability, ItemFilter, Query, Session, SystemKind};

/// The figures of one system in one repetition.
pub type Figures = BTreeMap<Figure, f64>;

/// Operations between two updates of a progress bar.
const PROGRESS_STEP: usize = 256;

/// Items prepared for the writer of `read_while_write`, written round and round (readers
/// draw their keys as they go).
const READ_WHILE_WRITE_RING: usize = 10_000;

/// What one system's run measured.
#[derive(Clone, Debug, Default)]
pub struct SystemRun {
    /// Its figures.
    pub figures: Figures,
    /// Items each scan returned, checked to be the same for every system.
    pub scan_matches: u64,
}

/// The filter of `scan_filter`: `age < 10`.
pub fn age_below_10(item: &Item) -> bool {
    item.get("age")
        .and_then(Value::as_n)
        .and_then(Number::to_i64)
        .is_some_and(|age| age < 10)
}

/// Phase 0: the fsync floor, in syncs per second.
pub fn fsync_floor(path: &Path, plan: &Plan, progress: &Progress) -> Result<f64> {
    let bar = progress.bar(Phase::FsyncFloor.name(), plan.fsync_floor as u64);
    let sample = measure::fsync_floor(path, plan.fsync_floor)?;
    let per_second = sample.per_second();
    progress.done(
        bar,
        Phase::FsyncFloor.name(),
        &format!("{per_second:.0} fsyncs/s"),
    );
    Ok(per_second)
}

/// Runs phases 1 to 15 against `kind` in the fresh directory `dir`, measuring the floors
/// beside the durable phases in `floor_path`. The directory is removed at the end.
pub fn run_system(
    kind: SystemKind,
    dir: &Path,
    floor_path: &Path,
    plan: &Plan,
    order: &[u64],
    progress: Progress,
) -> Result<SystemRun> {
    let runner = Runner {
        kind,
        dir: dir.to_owned(),
        floor_path: floor_path.to_owned(),
        plan,
        order,
        progress,
        run: SystemRun::default(),
        floor_bytes: 0,
        given: 0,
        given_while_reading: 0,
        deleted: HashSet::new(),
    };
    runner
        .run()
        .with_context(|| format!("running the workload against {kind}"))
}

/// The state of one system's run.
struct Runner<'a> {
    kind: SystemKind,
    dir: PathBuf,
    floor_path: PathBuf,
    plan: &'a Plan,
    order: &'a [u64],
    progress: Progress,
    run: SystemRun,
    /// Bytes appended by the floors measured inside a window of `wchar`.
    floor_bytes: u64,
    /// Bytes of the items and keys the system was given in phases 1–4 and 12.
    given: u64,
    /// Bytes of the items the writer of phase 11 put.
    given_while_reading: u64,
    /// Items deleted by phase 12.
    deleted: HashSet<u64>,
}

impl Runner<'_> {
    fn run(mut self) -> Result<SystemRun> {
        let db = self.kind.open(&self.dir)?;
        let mut session = db.session()?;

        // Phases 1–4 are one window of the process's write counter (`wchar`); what the bench
        // writes itself (the floors beside the durable phases, its lines on stderr) is taken
        // off.
        let first = self.system_written()?;
        let before = first;
        self.load(session.as_mut())?;
        self.put_durable(session.as_mut())?;
        self.put_durable_threads(db.as_ref())?;
        self.put_buffered(session.as_mut())?;
        let mut written = self.system_written()?.saturating_sub(before);

        self.get(session.as_mut())?;
        self.get_missing(session.as_mut())?;
        self.query_partition(session.as_mut())?;
        self.query_prefix(session.as_mut())?;
        self.query_last(session.as_mut())?;
        self.scan_filter(session.as_mut())?;
        self.read_while_write(db.as_ref())?;

        let before = self.system_written()?;
        self.delete(session.as_mut())?;
        written += self.system_written()?.saturating_sub(before);

        // SQLite closes with its last connection, the session's.
        let closing = Instant::now();
        drop(session);
        db.close()?;
        let close_ms = closing.elapsed().as_secs_f64() * 1000.0;
        self.progress.say(
            "close",
            &format!("{close_ms:.2} ms (not a figure: reopen is timed)"),
        );
        let through_close = self.system_written()?.saturating_sub(first);
        self.reopen()?;
        self.size()?;
        let amplification = written as f64 / self.given.max(1) as f64;
        let given_through_close = self.given + self.given_while_reading;
        let amplification_through_close = through_close as f64 / given_through_close.max(1) as f64;
        self.set(Figure::main(Phase::WriteAmplification), amplification);
        self.set(
            Figure {
                phase: Phase::WriteAmplification,
                stat: Stat::ThroughClose,
            },
            amplification_through_close,
        );
        self.progress.say(
            Phase::WriteAmplification.name(),
            &format!(
                "{amplification:.2}x ({written} bytes written for {} given); \
                 {amplification_through_close:.2}x through close",
                self.given
            ),
        );
        std::fs::remove_dir_all(&self.dir)
            .with_context(|| format!("removing {}", self.dir.display()))?;
        Ok(self.run)
    }

    /// The process's write counter, less what the bench itself wrote: the floors' appends
    /// and its phase lines on stderr.
    fn system_written(&self) -> Result<u64> {
        let written = measure::written_bytes()?;
        Ok(written.saturating_sub(self.floor_bytes + crate::progress::said_bytes()))
    }

    /// Records a figure.
    fn set(&mut self, figure: Figure, value: f64) {
        self.run.figures.insert(figure, value);
    }

    /// Half of the floor measured beside a durable phase.
    fn floor_half(&mut self) -> Result<FloorSample> {
        let sample = measure::fsync_floor(&self.floor_path, self.plan.beside_floor / 2)?;
        self.floor_bytes += sample.bytes_written();
        Ok(sample)
    }

    /// Records a durable phase: its main figure and its commits/s over the floor beside it.
    fn record_durable(
        &mut self,
        phase: Phase,
        operations: usize,
        commits: usize,
        elapsed: Duration,
        floor: FloorSample,
    ) -> String {
        let per_second = rate(operations as f64, elapsed);
        let against_floor = rate(commits as f64, elapsed) / floor.per_second();
        self.set(Figure::main(phase), per_second);
        self.set(
            Figure {
                phase,
                stat: Stat::VsFsyncFloor,
            },
            against_floor,
        );
        format!(
            "{per_second:.0} {} ({against_floor:.2}x the floor beside it, {:.0} fsyncs/s)",
            Figure::main(phase).unit(),
            floor.per_second()
        )
    }

    /// Phase 1: all items in the shuffled order, in durable atomic batches.
    fn load(&mut self, session: &mut dyn Session) -> Result<()> {
        let phase = Phase::Load;
        let bar = self.progress.bar(phase.name(), self.order.len() as u64);
        let floor_before = self.floor_half()?;
        let mut elapsed = Duration::ZERO;
        let mut commits = 0;
        for chunk in self.order.chunks(self.plan.batch) {
            let items: Vec<Item> = chunk.iter().map(|&i| data::item(i)).collect();
            self.given += encoded_bytes(&items);
            let start = Instant::now();
            session.put_batch(&items)?;
            elapsed += start.elapsed();
            commits += 1;
            bar.inc(chunk.len() as u64);
        }
        let floor = floor_before.merge(self.floor_half()?);
        let summary = self.record_durable(phase, self.order.len(), commits, elapsed, floor);
        self.progress.done(bar, phase.name(), &summary);
        Ok(())
    }

    /// Phase 2: durable single puts overwriting random items with a new age.
    fn put_durable(&mut self, session: &mut dyn Session) -> Result<()> {
        let phase = Phase::PutDurable;
        let mut draws = Draws::new(KEY_SEED, self.plan.items);
        let items: Vec<Item> = (0..self.plan.put_durable)
            .map(|_| draws.overwrite())
            .collect();
        self.given += encoded_bytes(&items);
        session.set_durability(Durability::Durable)?;
        let bar = self.progress.bar(phase.name(), items.len() as u64);
        let floor_before = self.floor_half()?;
        let elapsed = timed_loop(&items, &bar, |item| session.put(item))?;
        let floor = floor_before.merge(self.floor_half()?);
        let summary = self.record_durable(phase, items.len(), items.len(), elapsed, floor);
        self.progress.done(bar, phase.name(), &summary);
        Ok(())
    }

    /// Phase 3: durable single puts from several threads at once; thread `t` draws from the
    /// stream seeded `KEY_SEED + t` and writes only items `i` with `i % threads == t`, so the
    /// result does not depend on how the threads' commits interleave.
    fn put_durable_threads(&mut self, db: &dyn Database) -> Result<()> {
        let phase = Phase::PutDurable8Threads;
        let mut work = Vec::with_capacity(self.plan.put_threads);
        for thread in 0..self.plan.put_threads {
            let mut session = db.session()?;
            session.set_durability(Durability::Durable)?;
            let mut draws = Draws::new(KEY_SEED + thread as u64, self.plan.items);
            let threads = self.plan.put_threads as u64;
            let items: Vec<Item> = (0..self.plan.puts_per_thread)
                .map(|_| draws.overwrite_of_writer(thread as u64, threads))
                .collect();
            self.given += encoded_bytes(&items);
            work.push((session, items));
        }
        let total = self.plan.put_threads * self.plan.puts_per_thread;
        let bar = self.progress.bar(phase.name(), total as u64);
        let floor_before = self.floor_half()?;
        let barrier = Barrier::new(work.len() + 1);
        let (elapsed, sessions) = std::thread::scope(|scope| {
            let handles: Vec<_> = work
                .into_iter()
                .map(|(mut session, items)| {
                    let (barrier, bar) = (&barrier, bar.clone());
                    scope.spawn(move || -> Result<Box<dyn Session>> {
                        barrier.wait();
                        for (k, item) in items.iter().enumerate() {
                            session.put(item)?;
                            if k % 16 == 15 {
                                bar.inc(16);
                            }
                        }
                        // Returned, so that closing it is not timed.
                        Ok(session)
                    })
                })
                .collect();
            barrier.wait();
            let start = Instant::now();
            let sessions = join_all(handles);
            (start.elapsed(), sessions)
        });
        drop(sessions?);
        let floor = floor_before.merge(self.floor_half()?);
        let summary = self.record_durable(phase, total, total, elapsed, floor);
        self.progress.done(bar, phase.name(), &summary);
        Ok(())
    }

    /// Phase 4: buffered single puts overwriting random items.
    fn put_buffered(&mut self, session: &mut dyn Session) -> Result<()> {
        let phase = Phase::PutBuffered;
        let mut draws = Draws::new(KEY_SEED, self.plan.items);
        let items: Vec<Item> = (0..self.plan.put_buffered)
            .map(|_| draws.overwrite())
            .collect();
        self.given += encoded_bytes(&items);
        session.set_durability(Durability::Buffered)?;
        let bar = self.progress.bar(phase.name(), items.len() as u64);
        let elapsed = timed_loop(&items, &bar, |item| session.put(item))?;
        self.record_rate(bar, phase, items.len(), elapsed);
        Ok(())
    }

    /// Records a phase's main figure, a rate, and says it.
    fn record_rate(
        &mut self,
        bar: indicatif::ProgressBar,
        phase: Phase,
        operations: usize,
        elapsed: Duration,
    ) {
        let figure = Figure::main(phase);
        let per_second = rate(operations as f64, elapsed);
        self.set(figure, per_second);
        self.progress.done(
            bar,
            phase.name(),
            &format!("{per_second:.0} {}", figure.unit()),
        );
    }

    /// Times each operation of a latency phase: records its rate, p50 and p99. `operation` is
    /// timed; `check` (that the answer is right) is not timed one by one.
    fn latency_phase<K, T>(
        &mut self,
        phase: Phase,
        inputs: &[K],
        mut operation: impl FnMut(&K) -> Result<T>,
        mut check: impl FnMut(&K, T) -> Result<()>,
    ) -> Result<()> {
        let bar = self.progress.bar(phase.name(), inputs.len() as u64);
        let mut latencies = Latencies::with_capacity(inputs.len());
        let start = Instant::now();
        for (k, input) in inputs.iter().enumerate() {
            let answer = latencies.time(|| operation(input))?;
            check(input, answer)?;
            if k % PROGRESS_STEP == 0 {
                bar.set_position(k as u64);
            }
        }
        let elapsed = start.elapsed();
        let figure = Figure::main(phase);
        let per_second = rate(inputs.len() as f64, elapsed);
        self.set(figure, per_second);
        let mut summary = format!("{per_second:.0} {}", figure.unit());
        if let Some((p50, p99)) = latencies.percentiles() {
            self.set(
                Figure {
                    phase,
                    stat: Stat::P50,
                },
                p50,
            );
            self.set(
                Figure {
                    phase,
                    stat: Stat::P99,
                },
                p99,
            );
            summary += &format!(", p50 {p50:.1} µs, p99 {p99:.1} µs");
        }
        self.progress.done(bar, phase.name(), &summary);
        Ok(())
    }

    /// Phase 5: point gets of random existing keys.
    fn get(&mut self, session: &mut dyn Session) -> Result<()> {
        let mut draws = Draws::new(KEY_SEED, self.plan.items);
        let keys: Vec<KeyPair> = (0..self.plan.get)
            .map(|_| KeyPair::of(draws.existing()))
            .collect();
        self.latency_phase(
            Phase::Get,
            &keys,
            |key| session.get(&key.pk, &key.sk),
            |key, found| {
                let found = found.with_context(|| format!("{key:?} is missing"))?;
                ensure!(sort_key(&found) == key.sk, "{key:?} read another item");
                Ok(())
            },
        )
    }

    /// Phase 6: point gets of absent keys in existing partitions.
    fn get_missing(&mut self, session: &mut dyn Session) -> Result<()> {
        let mut draws = Draws::new(KEY_SEED, self.plan.items);
        let keys: Vec<KeyPair> = (0..self.plan.get_missing)
            .map(|_| draws.missing())
            .collect();
        self.latency_phase(
            Phase::GetMissing,
            &keys,
            |key| session.get(&key.pk, &key.sk),
            |key, found| {
                ensure!(found.is_none(), "{key:?} was found");
                Ok(())
            },
        )
    }

    /// Phase 7: queries returning one whole random partition.
    fn query_partition(&mut self, session: &mut dyn Session) -> Result<()> {
        let mut draws = Draws::new(KEY_SEED, self.plan.items);
        let partitions: Vec<String> = (0..self.plan.queries).map(|_| draws.partition()).collect();
        let expected = data::ITEMS_PER_PARTITION as usize;
        let (first, last) = (data::sort_key(0), data::sort_key(expected as u64 - 1));
        self.latency_phase(
            Phase::QueryPartition,
            &partitions,
            |pk| session.query(Query::Partition { pk }),
            |pk, items| {
                ensure!(
                    items.len() == expected
                        && items.first().map(sort_key) == Some(first.as_str())
                        && items.last().map(sort_key) == Some(last.as_str()),
                    "partition {pk} returned {} items, not its {expected} in order",
                    items.len()
                );
                Ok(())
            },
        )
    }

    /// Phase 8: queries `PK = random AND begins_with(SK, "item#000000{d}")`.
    fn query_prefix(&mut self, session: &mut dyn Session) -> Result<()> {
        let mut draws = Draws::new(KEY_SEED, self.plan.items);
        let queries: Vec<(String, String)> =
            (0..self.plan.queries).map(|_| draws.prefix()).collect();
        self.latency_phase(
            Phase::QueryPrefix,
            &queries,
            |(pk, prefix)| session.query(Query::Prefix { pk, prefix }),
            |(pk, prefix), items| {
                ensure!(
                    items.len() == 10 && items.iter().all(|i| sort_key(i).starts_with(prefix)),
                    "{pk} begins_with {prefix} returned {} items, not 10",
                    items.len()
                );
                Ok(())
            },
        )
    }

    /// Phase 9: the last item of a random partition (reverse, limit 1).
    fn query_last(&mut self, session: &mut dyn Session) -> Result<()> {
        let mut draws = Draws::new(KEY_SEED, self.plan.items);
        let partitions: Vec<String> = (0..self.plan.queries).map(|_| draws.partition()).collect();
        let last = data::sort_key(data::ITEMS_PER_PARTITION - 1);
        self.latency_phase(
            Phase::QueryLast,
            &partitions,
            |pk| session.query(Query::Last { pk }),
            |pk, items| {
                ensure!(
                    items.len() == 1 && sort_key(&items[0]) == last,
                    "the last item of {pk} was not {last}"
                );
                Ok(())
            },
        )
    }

    /// Phase 10: full scans with the filter `age < 10`, evaluated in Rust on every decoded
    /// item; the figure is items scanned per second.
    fn scan_filter(&mut self, session: &mut dyn Session) -> Result<()> {
        let phase = Phase::ScanFilter;
        let scanned = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&scanned);
        let filter: ItemFilter = Arc::new(move |item: &Item| {
            counter.fetch_add(1, Ordering::Relaxed);
            age_below_10(item)
        });
        let bar = self.progress.bar(phase.name(), self.plan.scans as u64);
        let mut matches = None;
        let start = Instant::now();
        for _ in 0..self.plan.scans {
            let found = session.scan(&filter)?;
            ensure!(
                matches.is_none_or(|m| m == found),
                "two scans returned {matches:?} and {found} items"
            );
            matches = Some(found);
            bar.inc(1);
        }
        let elapsed = start.elapsed();
        let scanned = scanned.load(Ordering::Relaxed);
        ensure!(
            scanned == self.plan.items * self.plan.scans as u64,
            "the scans read {scanned} items, not {} × {}",
            self.plan.scans,
            self.plan.items
        );
        self.run.scan_matches = matches.unwrap_or_default();
        self.record_rate(bar, phase, scanned as usize, elapsed);
        Ok(())
    }

    /// Phase 11: reader threads doing random gets while one thread does buffered puts, for a
    /// fixed time. Reader `t` draws from the stream seeded `KEY_SEED + t`, the writer from
    /// `KEY_SEED + readers`.
    fn read_while_write(&mut self, db: &dyn Database) -> Result<()> {
        let phase = Phase::ReadWhileWrite;
        let n = self.plan.items;
        let mut readers = Vec::with_capacity(self.plan.readers);
        for thread in 0..self.plan.readers {
            readers.push((db.session()?, Draws::new(KEY_SEED + thread as u64, n)));
        }
        let mut writer = db.session()?;
        writer.set_durability(Durability::Buffered)?;
        let mut draws = Draws::new(KEY_SEED + self.plan.readers as u64, n);
        let items: Vec<Item> = (0..READ_WHILE_WRITE_RING)
            .map(|_| draws.overwrite())
            .collect();
        // Bytes of the first k items of the ring, to count what the writer was given.
        let mut ring_bytes = vec![0u64];
        for item in &items {
            let total = ring_bytes.last().copied().unwrap_or_default();
            ring_bytes.push(total + item.to_bytes().len() as u64);
        }

        let duration = self.plan.read_while_write;
        let bar = self
            .progress
            .bar(phase.name(), duration.as_millis().max(1) as u64);
        let stop = AtomicBool::new(false);
        let barrier = Barrier::new(readers.len() + 2);
        let (elapsed, reads, writes) = std::thread::scope(|scope| {
            let (stop, barrier) = (&stop, &barrier);
            let reader_handles: Vec<_> = readers
                .into_iter()
                .map(|(mut session, mut draws)| {
                    scope.spawn(move || -> Result<(Box<dyn Session>, u64)> {
                        let mut key = KeyPair::of(0);
                        barrier.wait();
                        let mut count = 0u64;
                        while !stop.load(Ordering::Relaxed) {
                            key.set_to(draws.existing());
                            let found = session.get(&key.pk, &key.sk)?;
                            ensure!(found.is_some(), "{key:?} is missing");
                            count += 1;
                        }
                        Ok((session, count))
                    })
                })
                .collect();
            let writer_handle = scope.spawn(move || -> Result<(Box<dyn Session>, u64)> {
                barrier.wait();
                let mut count = 0u64;
                for item in items.iter().cycle() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    writer.put(item)?;
                    count += 1;
                }
                Ok((writer, count))
            });
            barrier.wait();
            let start = Instant::now();
            while start.elapsed() < duration {
                std::thread::sleep(Duration::from_millis(20).min(duration));
                bar.set_position(start.elapsed().as_millis() as u64);
            }
            stop.store(true, Ordering::Relaxed);
            let readers = join_all(reader_handles);
            let writer = join_all(vec![writer_handle]);
            let elapsed = start.elapsed();
            (elapsed, readers, writer)
        });
        let reads: u64 = reads?.iter().map(|(_, count)| count).sum();
        let writes: u64 = writes?.iter().map(|(_, count)| count).sum();
        let ring = READ_WHILE_WRITE_RING as u64;
        self.given_while_reading += (writes / ring) * ring_bytes[READ_WHILE_WRITE_RING]
            + ring_bytes[(writes % ring) as usize];
        let reads_per_second = rate(reads as f64, elapsed);
        let writes_per_second = rate(writes as f64, elapsed);
        self.set(Figure::main(phase), reads_per_second);
        self.set(
            Figure {
                phase,
                stat: Stat::Writes,
            },
            writes_per_second,
        );
        self.progress.done(
            bar,
            phase.name(),
            &format!("{reads_per_second:.0} reads/s, {writes_per_second:.0} writes/s"),
        );
        Ok(())
    }

    /// Phase 12: buffered single deletes of random existing items.
    fn delete(&mut self, session: &mut dyn Session) -> Result<()> {
        let phase = Phase::Delete;
        let mut draws = Draws::new(KEY_SEED, self.plan.items);
        let indexes: Vec<u64> = (0..self.plan.deletes).map(|_| draws.existing()).collect();
        let keys: Vec<KeyPair> = indexes.iter().map(|&i| KeyPair::of(i)).collect();
        self.given += keys.iter().map(|k| k.byte_len() as u64).sum::<u64>();
        session.set_durability(Durability::Buffered)?;
        let bar = self.progress.bar(phase.name(), keys.len() as u64);
        let elapsed = timed_loop(&keys, &bar, |key| session.delete(&key.pk, &key.sk))?;
        self.deleted.extend(indexes);
        self.record_rate(bar, phase, keys.len(), elapsed);
        Ok(())
    }

    /// Phase 13: (the database is closed) reopen it and get one item that is there, wall
    /// time; done `plan.reopens` times (closing in between, untimed), the median reported.
    fn reopen(&mut self) -> Result<()> {
        let phase = Phase::Reopen;
        let mut draws = Draws::new(KEY_SEED, self.plan.items);
        // An item that is there, if the deletes left one among the first draws.
        let probe = std::iter::repeat_with(|| draws.existing())
            .take(self.plan.items as usize * 64)
            .find(|i| !self.deleted.contains(i));
        let present = probe.is_some();
        let key = KeyPair::of(probe.unwrap_or_default());
        let bar = self.progress.bar(phase.name(), self.plan.reopens as u64);
        let mut times = Vec::with_capacity(self.plan.reopens);
        for _ in 0..self.plan.reopens {
            let start = Instant::now();
            let db = self.kind.open(&self.dir)?;
            let mut session = db.session()?;
            let found = session.get(&key.pk, &key.sk)?;
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            ensure!(
                found.is_some() == present,
                "{key:?} is {} after reopening",
                if present { "missing" } else { "there" }
            );
            drop(session);
            db.close()?;
            bar.inc(1);
        }
        let ms = crate::report::median(&times).context("no reopen was timed")?;
        self.set(Figure::main(phase), ms);
        let all: Vec<String> = times.iter().map(|t| format!("{t:.2}")).collect();
        self.progress.done(
            bar,
            phase.name(),
            &format!(
                "{ms:.2} ms to open and get (median; each: {} ms)",
                all.join(", ")
            ),
        );
        Ok(())
    }

    /// Phase 14: bytes on disk after close, per item loaded.
    fn size(&mut self) -> Result<()> {
        let phase = Phase::Size;
        let bytes = measure::directory_bytes(&self.dir)?;
        let allocated = measure::directory_allocated_bytes(&self.dir)?;
        let per_item = bytes as f64 / self.plan.items as f64;
        self.set(Figure::main(phase), per_item);
        self.progress.say(
            phase.name(),
            &format!("{per_item:.1} bytes/item ({bytes} bytes in files, {allocated} allocated)"),
        );
        Ok(())
    }
}

/// Runs `operation` on every input, with progress; returns the time of the whole loop.
fn timed_loop<K>(
    inputs: &[K],
    bar: &indicatif::ProgressBar,
    mut operation: impl FnMut(&K) -> Result<()>,
) -> Result<Duration> {
    let start = Instant::now();
    for (k, input) in inputs.iter().enumerate() {
        operation(input)?;
        if k % PROGRESS_STEP == 0 {
            bar.set_position(k as u64);
        }
    }
    Ok(start.elapsed())
}

/// Joins threads, returning their results, or the first error (a panic is an error too).
fn join_all<T>(handles: Vec<std::thread::ScopedJoinHandle<'_, Result<T>>>) -> Result<Vec<T>> {
    let mut results = Vec::with_capacity(handles.len());
    let mut first_error = None;
    for handle in handles {
        match handle.join() {
            Ok(Ok(value)) => results.push(value),
            Ok(Err(error)) => {
                first_error.get_or_insert(error);
            }
            Err(_) => {
                first_error.get_or_insert(anyhow!("a thread of the phase panicked"));
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(results),
    }
}

/// Bytes of the items' binary encoding (`Item::to_bytes`), the measure of what a system was
/// given to write.
fn encoded_bytes(items: &[Item]) -> u64 {
    items.iter().map(|item| item.to_bytes().len() as u64).sum()
}

/// The sort key of an item read back (empty when it has none, which a check then reports).
fn sort_key(item: &Item) -> &str {
    item.get("SK").and_then(Value::as_s).unwrap_or_default()
}
