// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimStats
import DequeModule

/// A database server's redo log: a write is durable when a flush of the log that took it has
/// ended. Flushes run one at a time and take `flush` whatever their size. Without group commit
/// each commit needs a flush of its own (the log is a single server, FIFO); with it, a flush
/// takes every commit waiting when it starts (InnoDB's group commit). A flush starts as soon
/// as the log is idle and a commit waits.
///
/// Like ``Pool``, the log knows nothing of events: ``append(_:at:)`` and ``flushEnded(at:counted:)``
/// return the length of a flush that starts, and the owner schedules its end.
package struct RedoLog {
    package struct Commit {
        package var task: TaskID
        package var since: Int64
    }

    package let flush: Sampler
    package let group: Bool
    /// Commits waiting or being flushed, in arrival order; the first `batch` are in the flush
    /// in progress.
    package private(set) var commits = Deque<Commit>()
    /// Commits in the flush in progress (0: the log is idle).
    package private(set) var batch = 0
    /// After the warm-up: flushes ended, commits they made durable, and each commit's time from
    /// joining the log to durable.
    package private(set) var flushes = 0
    package private(set) var flushed = 0
    package private(set) var commitTime = LatencyHistogram()

    package init(_ log: CommitLog, name: String, streams: RandomStreams) {
        flush = Sampler(distribution: log.flush, stream: streams.stream("database.\(name).flush"))
        group = log.group
    }

    /// `task`'s write waits for a flush. Returns the length of a flush that starts now (the
    /// log was idle), else nil.
    package mutating func append(_ task: TaskID, at now: Int64) -> Int64? {
        commits.append(Commit(task: task, since: now))
        return batch == 0 ? startFlush() : nil
    }

    private mutating func startFlush() -> Int64? {
        guard !commits.isEmpty else { return nil }
        batch = group ? commits.count : 1
        return flush.sample()
    }

    /// The flush in progress ended: its commits are durable. Returns how many (the caller takes
    /// them with ``takeDurable(at:counted:)``, then calls ``startNextFlush()``).
    package mutating func flushEnded(counted: Bool) -> Int {
        let n = batch
        batch = 0
        if counted {
            flushes += 1
            flushed += n
        }
        return n
    }

    /// The next durable commit of the flush that ended; records its commit time.
    package mutating func takeDurable(at now: Int64, counted: Bool) -> TaskID {
        let c = commits.removeFirst()
        if counted { commitTime.record(now - c.since) }
        return c.task
    }

    /// After the durable commits were taken: the length of the next flush if commits wait.
    package mutating func startNextFlush() -> Int64? { startFlush() }

    /// A crash: commits waiting or being flushed are lost (the caller fails their tasks).
    package mutating func clear() {
        commits.removeAll()
        batch = 0
    }

    /// Mean commits per flush after the warm-up; nil before any flush.
    package var meanBatch: Double? { flushes > 0 ? Double(flushed) / Double(flushes) : nil }
}
