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
        // Build one simulation first so a scenario the model cannot run fails before threads start.
        _ = try Simulation(scenario: scenario, replication: 0)
        let n = scenario.replications
        let state = SharedState(count: n, end: scenario.warmup + scenario.duration)
        let workers = max(1, min(jobs, n))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let r = state.take() {
                // A failure here is impossible: the same scenario built above.
                let sim = try! Simulation(scenario: scenario, replication: r)
                let result = sim.run { now, events in
                    if let progress { progress(state.update(r, now: now, events: events)) }
                }
                state.finish(r, result)
                if let progress { progress(state.snapshot()) }
            }
        }
        return ScenarioResult(scenario: scenario, replications: state.results.map { $0! })
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
