// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// Runs a scenario's replications over `jobs` threads. Results come back in replication order,
/// so the output is the same whatever `jobs` is.
public enum Runner {
    /// Progress of the whole run: simulated ns done summed over replications, out of `total`.
    public struct Progress: Sendable {
        public var simulated: Int64
        public var total: Int64
        public var events: UInt64
        public var replicationsDone: Int
        public var replications: Int
    }

    public static func run(_ scenario: Scenario, jobs: Int,
                           progress: (@Sendable (Progress) -> Void)? = nil) throws -> ScenarioResult {
        ScenarioResult(scenario: scenario, replications: try run(scenario, replications: 0..<scenario.replications,
                                                                 jobs: jobs, progress: progress))
    }

    /// Runs replications `range` (each one's random streams depend on its index alone, so
    /// replications 5..<10 are the same whether run alone or after 0..<5). In range order.
    public static func run(_ scenario: Scenario, replications range: Range<Int>, jobs: Int,
                           progress: (@Sendable (Progress) -> Void)? = nil) throws -> [ReplicationResult] {
        // Build one simulation first so a scenario the model cannot run fails before threads start.
        _ = try Simulation(scenario: scenario, replication: range.lowerBound)
        let state = SharedState(count: range.count, end: scenario.warmup + scenario.duration)
        let workers = max(1, min(jobs, range.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = state.take() {
                // A failure here is impossible: the same scenario built above.
                let sim = try! Simulation(scenario: scenario, replication: range.lowerBound + i)
                let result = sim.run { now, events in
                    if let progress { progress(state.update(i, now: now, events: events)) }
                }
                state.finish(i, result)
                if let progress { progress(state.snapshot()) }
            }
        }
        return state.results.map { $0! }
    }

    final class SharedState: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        let count: Int
        let end: Int64
        private(set) var results: [ReplicationResult?]
        private var now: [Int64]
        private var events: [UInt64]
        private var done = 0

        init(count: Int, end: Int64) {
            self.count = count; self.end = end
            results = Array(repeating: nil, count: count)
            now = Array(repeating: 0, count: count); events = Array(repeating: 0, count: count)
        }
        func take() -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard next < count else { return nil }
            next += 1
            return next - 1
        }
        func finish(_ r: Int, _ result: ReplicationResult) {
            lock.lock(); results[r] = result; done += 1; now[r] = end; lock.unlock()
        }
        func update(_ r: Int, now t: Int64, events e: UInt64) -> Progress {
            lock.lock(); now[r] = t; events[r] = e; lock.unlock()
            return snapshot()
        }
        func snapshot() -> Progress {
            lock.lock(); defer { lock.unlock() }
            return Progress(simulated: now.reduce(0, +), total: end * Int64(count), events: events.reduce(0, +),
                            replicationsDone: done, replications: count)
        }
    }
}
