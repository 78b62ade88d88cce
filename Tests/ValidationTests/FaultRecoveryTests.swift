// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel
import ArchSimScenario
import Foundation
import XCTest

/// The bundled metastable scenarios, run in-process as they are (a second each in release): the
/// retry storm outlives its trigger, the circuit breaker ends it, and without the trigger there
/// is no storm.
final class FaultRecoveryValidationTests: XCTestCase {
    static let s: Int64 = 1_000_000_000

    /// A bundled scenario under scenarios/claims.
    static func claim(_ name: String) throws -> Scenario {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try ScenarioLoader.load(path: root.appendingPathComponent("scenarios/claims/\(name).yaml").path)
    }

    /// Runs it and checks the invariants, except in a storm: the backend's queue grows to the
    /// end, so its tasks still waiting never count in the mean wait and Little's law for the
    /// queue (``Invariants``) cannot hold; conservation is checked on its own.
    static func run(_ scenario: Scenario, storm: Bool = false) throws -> ScenarioResult {
        let r = try Runner.run(scenario, jobs: 2)
        if !storm { Invariants.check(r); return r }
        for rep in r.replications {
            let all = rep.all
            XCTAssertEqual(all.offered, all.completed + all.errors + rep.measuredInFlightAtEnd, "conservation")
        }
        return r
    }

    /// The storm: no replication comes back inside its band in the 150 s after the slowdown;
    /// every request makes (nearly) 4 attempts after it, and almost none succeeds at the end.
    func testRetryStormOutlivesItsTrigger() throws {
        let r = try Self.run(Self.claim("metastable-retry-storm"), storm: true)
        let recoveries = r.faultRecoveries()[0]
        for (rep, x) in zip(r.replications, recoveries) {
            XCTAssertEqual(x.baselineWindows, 60)
            XCTAssertEqual(x.recovered, false, "replication \(rep.replication) recovered after \(x.recovery ?? -1) ns")
            XCTAssertLessThan(try XCTUnwrap(x.amplificationBefore), 1.01, "calm before: hardly a retry")
            XCTAssertGreaterThan(try XCTUnwrap(x.amplificationAfter), 3.5, "the storm: ~4 attempts per request")
            let last = rep.timeseries.suffix(10)
            let errors = last.reduce(0) { $0 + $1.errors }, completed = last.reduce(0) { $0 + $1.completed }
            XCTAssertGreaterThan(Double(errors), 50 * Double(completed), "the last 10 s: nearly every answer an error")
        }
    }

    /// Without the slowdown the same system is calm: what sustains the storm is its own retries,
    /// not the load (a metastable state, not an overloaded one).
    func testWithoutTheTriggerThereIsNoStorm() throws {
        var scenario = try Self.claim("metastable-retry-storm")
        scenario.faults = []
        let r = try Self.run(scenario)
        for rep in r.replications {
            let all = rep.all
            XCTAssertLessThan(Double(all.errors), 0.001 * Double(all.offered))
            XCTAssertLessThan(rep.timeseries.reduce(0) { $0 + $1.retries }, all.offered / 1000)
        }
    }

    /// With the circuit breaker every replication comes back inside its band within 30 s of the
    /// slowdown's end, and the retries stop.
    func testCircuitBreakerEndsTheStorm() throws {
        let r = try Self.run(Self.claim("metastable-retry-storm-breaker"))
        for (rep, x) in zip(r.replications, r.faultRecoveries()[0]) {
            XCTAssertEqual(x.recovered, true, "replication \(rep.replication)")
            XCTAssertLessThan(try XCTUnwrap(x.recovery), 30 * Self.s)
            XCTAssertLessThan(try XCTUnwrap(x.amplificationAfter), 1.5)
        }
    }
}
