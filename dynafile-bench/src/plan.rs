//! The shape of workload W: its phases, the figures each reports, and how many operations
//! each runs (WORKLOAD.md's counts, or a tenth of them for `--quick`).

use std::time::Duration;

/// The phases of WORKLOAD.md, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// 0: appends of 100 bytes, each followed by `fdatasync`.
    FsyncFloor,
    /// 1: all items, in durable atomic batches of 1,000.
    Load,
    /// 2: single-item durable puts overwriting random items.
    PutDurable,
    /// 3: 8 threads of single-item durable puts at once.
    PutDurable8Threads,
    /// 4: single-item buffered puts.
    PutBuffered,
    /// 5: point gets of random existing keys.
    Get,
    /// 6: point gets of absent keys.
    GetMissing,
    /// 7: queries returning one whole partition.
    QueryPartition,
    /// 8: queries of a sort key prefix matching 10 items.
    QueryPrefix,
    /// 9: queries of a partition in reverse with limit 1.
    QueryLast,
    /// 10: full scans with the filter `age < 10`.
    ScanFilter,
    /// 11: 4 reader threads while 1 thread does buffered puts.
    ReadWhileWrite,
    /// 12: single-item buffered deletes.
    Delete,
    /// 13: close, reopen, first get.
    Reopen,
    /// 14: bytes on disk per item, and peak memory.
    Size,
    /// 15: bytes written over bytes given, in phases 1–4 and 12.
    WriteAmplification,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 16] = [
        Phase::FsyncFloor,
        Phase::Load,
        Phase::PutDurable,
        Phase::PutDurable8Threads,
        Phase::PutBuffered,
        Phase::Get,
        Phase::GetMissing,
        Phase::QueryPartition,
        Phase::QueryPrefix,
        Phase::QueryLast,
        Phase::ScanFilter,
        Phase::ReadWhileWrite,
        Phase::Delete,
        Phase::Reopen,
        Phase::Size,
        Phase::WriteAmplification,
    ];

    /// The name WORKLOAD.md gives the phase.
    pub fn name(self) -> &'static str {
        match self {
            Phase::FsyncFloor => "fsync_floor",
            Phase::Load => "load",
            Phase::PutDurable => "put_durable",
            Phase::PutDurable8Threads => "put_durable_8threads",
            Phase::PutBuffered => "put_buffered",
            Phase::Get => "get",
            Phase::GetMissing => "get_missing",
            Phase::QueryPartition => "query_partition",
            Phase::QueryPrefix => "query_prefix",
            Phase::QueryLast => "query_last",
            Phase::ScanFilter => "scan_filter",
            Phase::ReadWhileWrite => "read_while_write",
            Phase::Delete => "delete",
            Phase::Reopen => "reopen",
            Phase::Size => "size",
            Phase::WriteAmplification => "write_amplification",
        }
    }

    /// True for the phases whose writes are synced: they are read against the fsync floor.
    pub fn is_durable(self) -> bool {
        matches!(
            self,
            Phase::Load | Phase::PutDurable | Phase::PutDurable8Threads
        )
    }

    /// True for the phases whose operations are timed one by one (p50 and p99).
    pub fn has_latency(self) -> bool {
        matches!(
            self,
            Phase::Get
                | Phase::GetMissing
                | Phase::QueryPartition
                | Phase::QueryPrefix
                | Phase::QueryLast
        )
    }
}

/// Which figure of a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stat {
    /// The phase's main figure (ops/s, or what its unit says).
    Main,
    /// Median latency of one operation.
    P50,
    /// 99th percentile latency of one operation.
    P99,
    /// A durable phase's commits/s over the fsync floor measured beside it.
    VsFsyncFloor,
    /// `read_while_write`: the writer's puts/s (its main figure is reads/s).
    Writes,
    /// `size`: peak resident memory of the whole run (its main figure is bytes per item).
    PeakMemory,
    /// `write_amplification` counted from the start of phase 1 through the close after
    /// phase 12, over the bytes given in phases 1–4, 11 and 12: writes a system defers to
    /// the background or to its close are counted too.
    ThroughClose,
}

/// Whether a larger or a smaller figure is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// More is better (rates).
    Higher,
    /// Less is better (times, sizes, latencies, amplification).
    Lower,
}

impl Better {
    /// `"higher"` or `"lower"`, as the JSON says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Better::Higher => "higher",
            Better::Lower => "lower",
        }
    }
}

/// One figure: a phase and which of its statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Figure {
    /// The phase.
    pub phase: Phase,
    /// Which figure of it.
    pub stat: Stat,
}

impl Figure {
    /// The main figure of `phase`.
    pub fn main(phase: Phase) -> Figure {
        Figure {
            phase,
            stat: Stat::Main,
        }
    }

    /// The figures the bench reports, in the order of the report: every phase's main figure,
    /// followed by its other figures.
    pub fn all() -> Vec<Figure> {
        let mut figures = Vec::new();
        for phase in Phase::ALL {
            let mut push = |stat| figures.push(Figure { phase, stat });
            push(Stat::Main);
            if phase.has_latency() {
                push(Stat::P50);
                push(Stat::P99);
            }
            if phase.is_durable() {
                push(Stat::VsFsyncFloor);
            }
            match phase {
                Phase::ReadWhileWrite => push(Stat::Writes),
                Phase::Size => push(Stat::PeakMemory),
                Phase::WriteAmplification => push(Stat::ThroughClose),
                _ => {}
            }
        }
        figures
    }

    /// The name in the JSON: the phase's name, with a suffix for figures other than the main.
    pub fn name(self) -> String {
        let suffix = match self.stat {
            Stat::Main => "",
            Stat::P50 => ".p50",
            Stat::P99 => ".p99",
            Stat::VsFsyncFloor => ".vs_fsync_floor",
            Stat::Writes => ".writes",
            Stat::PeakMemory => ".peak_memory",
            Stat::ThroughClose => ".through_close",
        };
        format!("{}{suffix}", self.phase.name())
    }

    /// The unit of the figure.
    pub fn unit(self) -> &'static str {
        match self.stat {
            Stat::P50 | Stat::P99 => return "µs",
            Stat::VsFsyncFloor => return "x fsync_floor",
            Stat::Writes => return "writes/s",
            Stat::PeakMemory => return "MiB",
            Stat::Main | Stat::ThroughClose => {}
        }
        match self.phase {
            Phase::FsyncFloor => "fsyncs/s",
            Phase::Load | Phase::ScanFilter => "items/s",
            Phase::QueryPartition | Phase::QueryPrefix | Phase::QueryLast => "queries/s",
            Phase::ReadWhileWrite => "reads/s",
            Phase::Reopen => "ms",
            Phase::Size => "bytes/item",
            Phase::WriteAmplification => "x",
            _ => "ops/s",
        }
    }

    /// Whether more or less is better.
    pub fn better(self) -> Better {
        match self.stat {
            Stat::P50 | Stat::P99 | Stat::PeakMemory | Stat::ThroughClose => Better::Lower,
            Stat::VsFsyncFloor | Stat::Writes => Better::Higher,
            Stat::Main => match self.phase {
                Phase::Reopen | Phase::Size | Phase::WriteAmplification => Better::Lower,
                _ => Better::Higher,
            },
        }
    }

    /// True for figures of the machine or of the whole run rather than of one system
    /// (reported under `dynafile` only, as WORKLOAD.md does for `fsync_floor`).
    pub fn is_of_the_run(self) -> bool {
        self.phase == Phase::FsyncFloor || self.stat == Stat::PeakMemory
    }
}

/// How many operations each phase runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// N: the items loaded.
    pub items: u64,
    /// Items per load batch (one commit).
    pub batch: usize,
    /// Syncs of phase 0.
    pub fsync_floor: usize,
    /// Syncs of the floor measured beside each durable phase (half before it, half after).
    pub beside_floor: usize,
    /// Durable single puts.
    pub put_durable: usize,
    /// Threads of `put_durable_8threads`.
    pub put_threads: usize,
    /// Durable puts of each of those threads.
    pub puts_per_thread: usize,
    /// Buffered single puts.
    pub put_buffered: usize,
    /// Gets of existing keys.
    pub get: usize,
    /// Gets of absent keys.
    pub get_missing: usize,
    /// Queries of each query phase.
    pub queries: usize,
    /// Full scans.
    pub scans: usize,
    /// Reader threads of `read_while_write`.
    pub readers: usize,
    /// How long `read_while_write` runs.
    pub read_while_write: Duration,
    /// Buffered deletes.
    pub deletes: usize,
    /// Times `reopen` closes, reopens and gets; the figure is the median.
    pub reopens: usize,
}

impl Plan {
    /// WORKLOAD.md's counts over `items` items.
    pub fn full(items: u64) -> Plan {
        Plan {
            items,
            batch: 1_000,
            fsync_floor: 1_000,
            beside_floor: 200,
            put_durable: 1_000,
            put_threads: 8,
            puts_per_thread: 250,
            put_buffered: 10_000,
            get: 100_000,
            get_missing: 10_000,
            queries: 10_000,
            scans: 5,
            readers: 4,
            read_while_write: Duration::from_secs(5),
            deletes: 10_000,
            reopens: 5,
        }
    }

    /// A tenth of each phase's operations (at least one), over `items` items. The shape of
    /// the phases stays: batches of 1,000, 8 writer threads, 4 readers.
    pub fn quick(items: u64) -> Plan {
        let full = Plan::full(items);
        let tenth = |n: usize| n.div_ceil(10);
        Plan {
            items,
            batch: full.batch,
            fsync_floor: tenth(full.fsync_floor),
            beside_floor: tenth(full.beside_floor),
            put_durable: tenth(full.put_durable),
            put_threads: full.put_threads,
            puts_per_thread: tenth(full.puts_per_thread),
            put_buffered: tenth(full.put_buffered),
            get: tenth(full.get),
            get_missing: tenth(full.get_missing),
            queries: tenth(full.queries),
            scans: tenth(full.scans),
            readers: full.readers,
            read_while_write: full.read_while_write / 10,
            deletes: tenth(full.deletes),
            reopens: tenth(full.reopens),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_workload_names() {
        let names: Vec<&str> = Phase::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(names[0], "fsync_floor");
        assert_eq!(names[15], "write_amplification");
        let all = Figure::all();
        assert_eq!(all[0].name(), "fsync_floor");
        assert!(all.iter().any(|f| f.name() == "get.p99"));
        assert!(all.iter().any(|f| f.name() == "put_durable.vs_fsync_floor"));
        assert_eq!(
            all.iter().filter(|f| f.stat == Stat::Main).count(),
            Phase::ALL.len()
        );
    }

    #[test]
    fn quick_is_a_tenth() {
        let quick = Plan::quick(10_000);
        assert_eq!(quick.get, 10_000);
        assert_eq!(quick.puts_per_thread, 25);
        assert_eq!(quick.scans, 1);
        assert_eq!(quick.read_while_write, Duration::from_millis(500));
        assert_eq!(quick.batch, 1_000);
    }
}
