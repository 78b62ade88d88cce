// SPDX-License-Identifier: GPL-3.0-or-later

/// What a request's time was spent on, along its critical path (`--breakdown`, breakdown.csv).
public enum Cause: Int, CaseIterable, Sendable {
    /// Waiting in an instance's queue for a worker.
    case workerQueue
    /// Computing (the CPU work itself).
    case cpu
    /// Computing stretched by processor sharing: the time past the work on busy cores.
    case cpuContention
    /// Network hops of calls and queries (there and back).
    case network
    /// Cache steps: the round trip, the node's queue and service.
    case cache
    /// Waiting for a client pool's connection.
    case poolWait
    /// Waiting for a database connection (the server's queue).
    case dbQueue
    /// Waiting for a row lock.
    case lockWait
    /// A query executing (on a host: its CPU work; past it, `cpuContention`).
    case query
    /// A buffer-pool miss: the wait for a disk and the disk read.
    case disk
    /// A write waiting for its redo-log flush.
    case commitFlush
    /// Failed call attempts that were retried, and their backoff.
    case retries
    /// `delay` steps: waiting on something outside.
    case external

    /// breakdown.csv's column.
    public var column: String {
        switch self {
        case .workerQueue: "worker_queue_ms"
        case .cpu: "cpu_ms"
        case .cpuContention: "cpu_contention_ms"
        case .network: "network_ms"
        case .cache: "cache_ms"
        case .poolWait: "pool_wait_ms"
        case .dbQueue: "db_queue_ms"
        case .lockWait: "lock_wait_ms"
        case .query: "query_ms"
        case .disk: "disk_ms"
        case .commitFlush: "commit_flush_ms"
        case .retries: "retries_ms"
        case .external: "external_ms"
        }
    }
}

/// Each task's time by cause, kept only with `--breakdown`: the simulation closes a task's
/// current segment (from its mark to now) under a cause at every point where what the task
/// waits for changes. A call's answer merges the callee's times into the caller; the caller's
/// segment, less the time merged, is the hops there and back (`network`). A parallel step
/// merges the branch that ended last. So a request's causes sum exactly to its response time.
///
/// Arrays indexed by task slot, `Cause.allCases.count` times per slot: O(1) per segment, no
/// allocation once the task slots stop growing.
struct CriticalPath {
    static let causes = Cause.allCases.count
    private(set) var times: [Int64] = []
    private var mark: [Int64] = []
    private var merged: [Int64] = []
    /// CPU work of the current compute segment, or -1: the part of the segment past it is
    /// contention.
    private var work: [Int64] = []
    private var cause: [UInt8] = []

    /// Task slot `t` starts now, with no time yet.
    mutating func start(_ t: TaskID, at now: Int64) {
        let i = Int(t.index)
        if i >= mark.count {
            let grow = max(i + 1 - mark.count, mark.count)
            mark += repeatElement(0, count: grow); merged += repeatElement(0, count: grow)
            work += repeatElement(-1, count: grow); cause += repeatElement(0, count: grow)
            times += repeatElement(0, count: grow * Self.causes)
        }
        for c in 0..<Self.causes { times[i * Self.causes + c] = 0 }
        mark[i] = now; merged[i] = 0; work[i] = -1; cause[i] = UInt8(Cause.network.rawValue)
    }

    /// What the task's current segment will count as when it closes (`work`: its CPU work).
    @inline(never) mutating func wait(_ t: TaskID, for c: Cause, work w: Int64 = -1) {
        let i = Int(t.index)
        cause[i] = UInt8(c.rawValue); work[i] = w
    }

    /// Closes the task's current segment under its cause (or `c`), less the time merged into it.
    @inline(never) mutating func close(_ t: TaskID, as c: Cause? = nil, at now: Int64) {
        let i = Int(t.index)
        let segment = now - mark[i] - merged[i]
        let as_ = c.map { $0.rawValue } ?? Int(cause[i])
        if work[i] >= 0 && (as_ == Cause.cpu.rawValue || as_ == Cause.query.rawValue) {
            let busy = min(segment, work[i])
            times[i * Self.causes + as_] += busy
            times[i * Self.causes + Cause.cpuContention.rawValue] += segment - busy
        } else {
            times[i * Self.causes + as_] += segment
        }
        mark[i] = now; merged[i] = 0; work[i] = -1
    }

    /// `ns` of the current segment are already known to be `c` (the rest closes as its cause).
    mutating func credit(_ t: TaskID, _ c: Cause, _ ns: Int64) {
        let i = Int(t.index)
        times[i * Self.causes + c.rawValue] += ns
        merged[i] += ns
    }

    /// The CPU work of the current compute segment is `w` (a machine's slow factor stretches it:
    /// that is work, not contention).
    @inline(__always) mutating func setWork(_ t: TaskID, _ w: Int64) { work[Int(t.index)] = w }

    /// A callee's (or last branch's) times join its caller's current segment.
    mutating func merge(_ child: TaskID, into parent: TaskID) {
        let c = Int(child.index) * Self.causes, p = Int(parent.index) * Self.causes
        var total: Int64 = 0
        for k in 0..<Self.causes { times[p + k] += times[c + k]; total += times[c + k] }
        merged[Int(parent.index)] += total
    }

    /// The task's times by cause (ns).
    @inline(__always) func times(of t: TaskID) -> ArraySlice<Int64> {
        times[Int(t.index) * Self.causes ..< (Int(t.index) + 1) * Self.causes]
    }
}

/// The recorded split of one request type (or all): cause sums over its measured answered
/// requests, and the same per latency bucket (an eighth of an octave) for the tail.
struct BreakdownCounts {
    var count = 0
    var sums = [Int64](repeating: 0, count: CriticalPath.causes)
    /// Per bucket: its request count, then its cause sums; grown to the largest bucket used.
    var buckets: [Int64] = []
    static let stride = CriticalPath.causes + 1

    /// Bucket of a latency (ns > 0): 8 per power of two.
    static func bucket(_ ns: Int64) -> Int {
        let v = UInt64(max(ns, 1))
        let octave = 63 - v.leadingZeroBitCount
        let sub = octave >= 3 ? Int((v >> UInt64(octave - 3)) & 7) : Int(v << UInt64(3 - octave)) & 7
        return octave * 8 + sub
    }

    mutating func record(latency: Int64, _ times: ArraySlice<Int64>) {
        count += 1
        let b = Self.bucket(latency) * Self.stride
        if b + Self.stride > buckets.count { buckets += repeatElement(0, count: b + Self.stride - buckets.count) }
        buckets[b] += 1
        for (k, v) in times.enumerated() {
            sums[k] += v
            buckets[b + 1 + k] += v
        }
    }

    /// Mean ms per cause over all, and over the tail: the slowest 1% (⌈1%⌉ requests, taken
    /// from the top latency bucket down; of the bucket where they end, its share pro rata —
    /// within a bucket, an eighth of an octave wide, requests are not told apart). Nil without
    /// requests.
    func result() -> BreakdownResult? {
        guard count > 0 else { return nil }
        let n = Double(count)
        var tail = [Double](repeating: 0, count: CriticalPath.causes)
        let need = Int64((n * 0.01).rounded(.up))
        var taken: Int64 = 0
        var b = buckets.count / Self.stride - 1
        while b >= 0 && taken < need {
            let base = b * Self.stride
            let inBucket = buckets[base]
            if inBucket > 0 {
                let share = min(1, Double(need - taken) / Double(inBucket))
                for k in 0..<CriticalPath.causes { tail[k] += share * Double(buckets[base + 1 + k]) }
                taken += min(inBucket, need - taken)
            }
            b -= 1
        }
        return BreakdownResult(count: count, meanMs: sums.map { Double($0) / n / 1e6 },
                               tailCount: Int(taken), tailMeanMs: tail.map { $0 / Double(taken) / 1e6 })
    }
}

/// One replication's split for one request type (or all): mean ms per cause (in ``Cause``
/// order) over its measured answered requests, and over its tail.
public struct BreakdownResult: Sendable {
    public var count: Int
    public var meanMs: [Double]
    public var tailCount: Int
    public var tailMeanMs: [Double]
}

/// breakdown.csv's rows: per request type (mix order) then `all`, the mean over all answered
/// requests and over the tail, each the mean of the replications' means (replications without
/// such requests left out).
public struct BreakdownRow: Sendable {
    public var requestType: String
    /// `mean` (all answered requests) or `tail` (those in the p99's latency bucket and above).
    public var split: String
    /// Requests per replication (mean).
    public var requests: Double
    /// Mean ms per cause, in ``Cause`` order; their sum is `responseMs`.
    public var ms: [Double]
    public var responseMs: Double { ms.reduce(0, +) }
}

extension ScenarioResult {
    /// The breakdown rows (empty without `--breakdown`).
    public var breakdown: [BreakdownRow] {
        guard let first = replications.first?.breakdown else { return [] }
        let names = scenario.workload.requestTypes.map(\.name) + ["all"]
        var rows: [BreakdownRow] = []
        for i in first.indices {
            let present = replications.compactMap { $0.breakdown?[i] }
            guard !present.isEmpty else { continue }
            func mean(_ f: (BreakdownResult) -> [Double]) -> [Double] {
                (0..<CriticalPath.causes).map { k in present.reduce(0) { $0 + f($1)[k] } / Double(present.count) }
            }
            let n = Double(replications.count)
            rows.append(BreakdownRow(requestType: names[i], split: "mean", requests: Double(present.reduce(0) { $0 + $1.count }) / n,
                                     ms: mean(\.meanMs)))
            rows.append(BreakdownRow(requestType: names[i], split: "tail", requests: Double(present.reduce(0) { $0 + $1.tailCount }) / n,
                                     ms: mean(\.tailMeanMs)))
        }
        return rows
    }
}
