// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import GRDB

/// Replication lag as measured: for each applied change, the time from its commit on the
/// primary to the commit of its application on a replica (ns, monotonic clock). Keeps the last
/// `capacity` samples (a ring) plus counts; thread-safe.
public final class LagSamples: @unchecked Sendable {
    private let lock = NSLock()
    private var ring: [Int64] = []
    private var next = 0
    private let capacity: Int
    private var total = 0
    private var last: Int64 = 0
    private var maximum: Int64 = 0

    init(capacity: Int = 8192) { self.capacity = capacity; ring.reserveCapacity(capacity) }

    func record(_ lag: Int64) {
        lock.lock(); defer { lock.unlock() }
        if ring.count < capacity { ring.append(lag) } else { ring[next] = lag; next = (next + 1) % capacity }
        total += 1; last = lag; maximum = max(maximum, lag)
    }

    /// Summary in milliseconds of the retained samples.
    public func summary() -> LagSummary {
        lock.lock(); let values = ring.sorted(); let n = total, l = last, mx = maximum; lock.unlock()
        func q(_ p: Double) -> Double {
            values.isEmpty ? 0 : Double(values[min(values.count - 1, Int(p * Double(values.count)))]) / 1e6
        }
        let mean = values.isEmpty ? 0 : Double(values.reduce(0, +)) / Double(values.count) / 1e6
        return LagSummary(applied: n, lastMs: Double(l) / 1e6, meanMs: mean, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: Double(mx) / 1e6)
    }

    /// The retained samples in ms (for fitting `replication_lag`).
    public func samplesMs() -> [Double] {
        lock.lock(); defer { lock.unlock() }
        return ring.map { Double($0) / 1e6 }
    }

    public func reset() {
        lock.lock(); ring.removeAll(keepingCapacity: true); next = 0; total = 0; last = 0; maximum = 0; lock.unlock()
    }
}

public struct LagSummary: Codable, Sendable, Equatable {
    /// Changes applied since the start (or the last reset).
    public var applied: Int
    public var lastMs: Double
    public var meanMs: Double
    public var p50Ms: Double
    public var p99Ms: Double
    public var maxMs: Double
    enum CodingKeys: String, CodingKey {
        case applied
        case lastMs = "last_ms", meanMs = "mean_ms", p50Ms = "p50_ms", p99Ms = "p99_ms", maxMs = "max_ms"
    }
}

/// One read replica: its own SQLite file, brought up to date by applying the primary's change
/// log in sequence order, one batch per transaction.
public final class Replica: @unchecked Sendable {
    public let index: Int
    public let database: DatabasePool
    public let lag = LagSamples()
    private let lock = NSLock()
    private var _appliedSeq: Int64
    private var _applyCPU: Int64 = 0

    init(index: Int, database: DatabasePool) throws {
        self.index = index
        self.database = database
        _appliedSeq = try database.read { db in
            try Int64.fetchOne(db, sql: "SELECT applied_seq FROM replication_state WHERE id = 1") ?? 0
        }
    }

    /// The last change-log sequence number this replica has committed.
    public var appliedSeq: Int64 {
        lock.lock(); defer { lock.unlock() }
        return _appliedSeq
    }

    /// CPU (ns) the threads that read this replica's log batches from the primary and applied them
    /// have used since the start or the last ``resetApplyCPU()`` (thread CPU clock around each SQLite call).
    public var applyCPUNanoseconds: Int64 { lock.withLock { _applyCPU } }
    public func resetApplyCPU() { lock.withLock { _applyCPU = 0 } }
    func addApplyCPU(_ ns: Int64) { lock.withLock { _applyCPU += ns } }

    /// Applies `entries` (consecutive, in order) in one transaction and records their lag.
    func apply(_ entries: [ReplicationLog.Entry]) async throws {
        guard let lastSeq = entries.last?.seq else { return }
        let expected = appliedSeq
        let cpu = try await database.write { db in
            let c0 = threadCPUNanoseconds()
            // Refuse a gap or a reordering: the log is applied strictly in sequence.
            let applied = try Int64.fetchOne(db, sql: "SELECT applied_seq FROM replication_state WHERE id = 1") ?? 0
            precondition(applied == expected, "replica \(self.index): applied_seq \(applied) != expected \(expected)")
            for entry in entries where entry.seq > applied { try entry.change.apply(to: db) }
            try db.execute(sql: "UPDATE replication_state SET applied_seq = ? WHERE id = 1", arguments: [lastSeq])
            return threadCPUNanoseconds() - c0
        }
        addApplyCPU(cpu)
        let now = monotonicNanoseconds()
        for entry in entries where entry.seq > expected { lag.record(max(0, now - entry.committedNs)) }
        lock.withLock { _appliedSeq = lastSeq }
    }
}

/// Ships the primary's change log to every replica: one task per replica reads the entries
/// after its position from the primary and applies them; it sleeps until the primary commits
/// again. Also truncates the log below the slowest replica's position.
final class ReplicationShipper: @unchecked Sendable {
    let primary: DatabasePool
    let replicas: [Replica]
    /// Called with the product ids a replica batch changed, after it is visible (cache invalidation).
    let onApplied: @Sendable ([Int64]) -> Void
    private let signals: [WakeSignal]
    private var tasks: [Task<Void, Never>] = []
    private let truncateLock = NSLock()
    private var truncatedTo: Int64 = 0
    static let batchSize = 256
    static let truncateEvery: Int64 = 4096

    init(primary: DatabasePool, replicas: [Replica], onApplied: @escaping @Sendable ([Int64]) -> Void) {
        self.primary = primary; self.replicas = replicas; self.onApplied = onApplied
        signals = replicas.map { _ in WakeSignal() }
    }

    func start() {
        tasks = replicas.indices.map { i in
            Task.detached(priority: .high) { [self] in await self.run(i) }
        }
    }

    /// After each primary commit that appended to the log.
    func notify() { for s in signals { s.notify() } }

    func stop() async {
        for t in tasks { t.cancel() }
        for t in tasks { await t.value }
        tasks = []
    }

    private func run(_ i: Int) async {
        let replica = replicas[i]
        while !Task.isCancelled {
            do {
                let from = replica.appliedSeq
                let (entries, cpu) = try await primary.read { db in
                    let c0 = threadCPUNanoseconds()
                    let entries = try ReplicationLog.entries(after: from, limit: Self.batchSize, in: db)
                    return (entries, threadCPUNanoseconds() - c0)
                }
                replica.addApplyCPU(cpu)
                if entries.isEmpty { await signals[i].wait(); continue }
                try await replica.apply(entries)
                let products = entries.compactMap { $0.change.invalidatedProduct }
                if !products.isEmpty { onApplied(products) }
                try await truncateIfDue()
            } catch {
                if Task.isCancelled { return }
                try? await Task.sleep(nanoseconds: 10_000_000)
            }
        }
    }

    private func truncateIfDue() async throws {
        let upTo = replicas.map(\.appliedSeq).min() ?? 0
        let due = truncateLock.withLock {
            let due = upTo - truncatedTo >= Self.truncateEvery
            if due { truncatedTo = upTo }
            return due
        }
        if due {
            try await primary.write { db in try db.execute(sql: "DELETE FROM change_log WHERE seq <= ?", arguments: [upTo]) }
        }
    }
}
