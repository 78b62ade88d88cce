// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimReport
import Foundation

/// One row of real_vs_theory.csv: a mechanism of a real server measured under a controlled load,
/// beside what theory predicts from that run's own measured inputs.
public struct MechanismResult: Sendable {
    /// buffer_hit_ratio, hot_row_latency, connection_blocking.
    public var check: String
    /// The theory it is held against (e.g. "Che LRU", "M/G/1 (Pollaczek-Khinchine)").
    public var theory: String
    /// The load and settings, in words (e.g. "16384 pages, Zipf 0.9, shared_buffers 16MB").
    public var setting: String
    /// Requests (reads, transactions, connection attempts) measured.
    public var samples: Int
    public var real: Double
    public var predicted: Double
    /// "points" (real − predicted, in percentage points) or "percent" ((real − predicted)/predicted).
    public var errorUnit: String
    /// Largest |error| accepted (the acceptance).
    public var tolerance: Double
    /// Inputs the prediction took from the run (e.g. "capacity 2031 buffers").
    public var inputs: String
    /// ArchSim's engine on the same inputs (``LabSimulation``): the mechanism as a scenario.
    public var simulated: Double?

    public var error: Double { Self.error(real, against: predicted, unit: errorUnit) }
    public var within: Bool { abs(error) <= tolerance }
    /// The simulation's error against the real server, in the same unit.
    public var simulatedError: Double? { simulated.map { Self.error(real, against: $0, unit: errorUnit) } }

    static func error(_ real: Double, against model: Double, unit: String) -> Double {
        unit == "points" ? (real - model) * 100 : (real - model) / model * 100
    }

    public static let header = ["check", "theory", "setting", "samples", "real", "predicted", "error", "error_unit",
                                "tolerance", "within", "simulated", "sim_error", "sim_within", "inputs"]

    public var cells: [String] {
        [check, theory, setting, String(samples), CSVNumber.format(real), CSVNumber.format(predicted),
         CSVNumber.format(error, decimals: 2), errorUnit, CSVNumber.format(tolerance, decimals: 2), within ? "yes" : "no",
         CSVNumber.format(simulated), CSVNumber.format(simulatedError, decimals: 2),
         simulatedError.map { abs($0) <= tolerance ? "yes" : "no" } ?? "", inputs]
    }

    public static func table(_ results: [MechanismResult]) -> CSVTable {
        var t = CSVTable(header: header)
        for r in results { t.append(r.cells) }
        return t
    }
}

/// Poisson arrival times (s from the start) at `rate` per second over `duration` s, from a
/// stream named after the check (seeded: the same offsets every run).
func poissonOffsets(rate: Double, duration: Double, stream: RandomStream) -> [Double] {
    var t = 0.0, out: [Double] = []
    while true {
        t += -log(stream.uniformPositive()) / rate
        if t >= duration { return out }
        out.append(t)
    }
}

/// Key ids 0..<count ranked Zipf(s) through a seeded permutation (rank r is a random id, so
/// popularity does not follow the physical order): a warm-up sequence and a measured one, from
/// the streams "lab.NAME.permutation" and "lab.NAME.keys".
func zipfKeys(count: Int, s: Double, seed: UInt64, name: String, warmup: Int, measured: Int) -> (warm: [Int32], measured: [Int32]) {
    let streams = RandomStreams(seed: seed)
    let permutation = shuffled(count, streams.stream("lab.\(name).permutation"))
    let sampler = ZipfSampler(count: count, s: s)
    let draws = streams.stream("lab.\(name).keys")
    let warm = (0..<warmup).map { _ in Int32(permutation[sampler.sample(draws)]) }
    return (warm, (0..<measured).map { _ in Int32(permutation[sampler.sample(draws)]) })
}

/// 0..<n in a random order (Fisher-Yates from `stream`).
func shuffled(_ n: Int, _ stream: RandomStream) -> [Int] {
    var a = Array(0..<n)
    for i in stride(from: n - 1, to: 0, by: -1) { a.swapAt(i, stream.index(below: i + 1)) }
    return a
}

/// Runs `body(i)` at each offset (seconds from now), without waiting for earlier ones: an open
/// loop. Returns when every call has returned.
func openLoop(_ offsets: [Double], _ body: @escaping @Sendable (Int) async -> Void) async {
    let start = ContinuousClock.now
    await withTaskGroup(of: Void.self) { group in
        for (i, t) in offsets.enumerated() {
            try? await Task.sleep(until: start + .nanoseconds(Int64(t * 1e9)), clock: .continuous)
            group.addTask { await body(i) }
        }
    }
}

/// Seconds since the epoch (CLOCK_REALTIME: the clock PostgreSQL's clock_timestamp() reads, so
/// a server timestamp and a client one can be subtracted on one machine).
func wallSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Thread-safe accumulation for the open-loop checks.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [String: [Double]] = [:]
    private(set) var counts: [String: Int] = [:]
    func add(_ key: String, _ v: Double) { lock.withLock { values[key, default: []].append(v) } }
    func count(_ key: String) { lock.withLock { counts[key, default: 0] += 1 } }
    func list(_ key: String) -> [Double] { lock.withLock { values[key] ?? [] } }
    func number(_ key: String) -> Int { lock.withLock { counts[key] ?? 0 } }
}

extension Array where Element == Double {
    var mean: Double { isEmpty ? .nan : reduce(0, +) / Double(count) }
    var meanSquare: Double { isEmpty ? .nan : reduce(0) { $0 + $1 * $1 } / Double(count) }
}
