// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// The parts of a request's time that the simulator models separately.
public enum Stage: String, Sendable, CaseIterable, Codable {
    /// Handler time outside the stages below: decoding, validation, encoding, scheduling.
    case compute
    case cacheGet = "cache_get"
    case cacheSet = "cache_set"
    case cacheDelete = "cache_delete"
    /// A query's execution on a connection (queueing for the connection excluded).
    case dbRead = "db_read"
    /// A write transaction's execution on the primary, commit included.
    case dbWrite = "db_write"
    /// The CPU the reading or writing thread used during `db_read` / `db_write` (the thread CPU
    /// clock around the same span): the rest of that span is waiting (a commit's fsync, a lock).
    /// Part of the span above, so not subtracted from `compute` again.
    case dbReadCPU = "db_read_cpu"
    case dbWriteCPU = "db_write_cpu"

    /// Whether the stage is the CPU part of another stage's span.
    public var isCPUPart: Bool { self == .dbReadCPU || self == .dbWriteCPU }
}

/// What one request spent in each stage; filled by the storage and cache code through the
/// task-local ``RequestStages/current`` while the metrics middleware measures the whole.
/// Used by one request at a time (its awaits are sequential), so it needs no lock.
public final class RequestStages: @unchecked Sendable {
    @TaskLocal public static var current: RequestStages?

    public private(set) var samples: [(Stage, Int64)] = []
    /// The shop request the route serves; set by the route (nil for the operator's routes,
    /// which are not recorded).
    public internal(set) var request: ShopRequest?
    /// Cache hit (true) or miss (false) of the product lookup, if any.
    public var cacheHit: Bool?

    public init() {}

    func add(_ stage: Stage, _ ns: Int64) { samples.append((stage, ns)) }

    /// Times `body` as `stage` for the current request, if one is being measured.
    @inline(__always) static func time<T>(_ stage: Stage, _ body: () throws -> T) rethrows -> T {
        guard let stages = current else { return try body() }
        let t0 = monotonicNanoseconds()
        defer { stages.add(stage, monotonicNanoseconds() - t0) }
        return try body()
    }

    static func record(_ stage: Stage, _ ns: Int64) { current?.add(stage, ns) }
}

/// Per shop request and stage, the measured durations (ns): what calibration fits. Recording is
/// off until ``start()``; bounded to `limit` samples per series. Thread-safe.
public final class StageRecorder: @unchecked Sendable {
    public struct Key: Hashable, Sendable, Comparable {
        public var route: ShopRequest
        public var stage: Stage
        public static func < (a: Key, b: Key) -> Bool { (a.route.rawValue, a.stage.rawValue) < (b.route.rawValue, b.stage.rawValue) }
    }

    private let lock = NSLock()
    private var enabled = false
    private var series: [Key: [Int64]] = [:]
    private var hits: [ShopRequest: (hits: Int, lookups: Int)] = [:]
    private let limit: Int

    public init(limit: Int = 200_000) { self.limit = limit }

    public func start() { lock.lock(); enabled = true; series = [:]; hits = [:]; lock.unlock() }
    public func stop() { lock.lock(); enabled = false; lock.unlock() }

    func record(route: ShopRequest, stages: RequestStages, totalNs: Int64) {
        lock.lock(); defer { lock.unlock() }
        guard enabled else { return }
        var inside: Int64 = 0
        for (stage, ns) in stages.samples {
            if !stage.isCPUPart { inside += ns }
            append(Key(route: route, stage: stage), ns)
        }
        append(Key(route: route, stage: .compute), max(0, totalNs - inside))
        if let hit = stages.cacheHit {
            var h = hits[route] ?? (0, 0)
            h.lookups += 1; if hit { h.hits += 1 }
            hits[route] = h
        }
    }

    private func append(_ key: Key, _ ns: Int64) {
        if series[key, default: []].count < limit { series[key, default: []].append(ns) }
    }

    /// The recorded series, sorted by (route, stage) so output order does not depend on hashing.
    public func snapshot() -> [(key: Key, ns: [Int64])] {
        lock.lock(); defer { lock.unlock() }
        return series.keys.sorted().map { ($0, series[$0]!) }
    }

    /// Cache hit ratio of product lookups per route.
    public func hitRatios() -> [(route: ShopRequest, hits: Int, lookups: Int)] {
        lock.lock(); defer { lock.unlock() }
        return hits.keys.sorted().map { ($0, hits[$0]!.hits, hits[$0]!.lookups) }
    }
}
