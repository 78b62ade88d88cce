// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimKernel
import ArchSimModel

/// The pre-flight estimate's arithmetic on small models whose counts are known.
final class PreflightEstimateTests: XCTestCase {
    func testEventsFollowTheRouteAndTheRate() {
        // Arrival, compute, end: 3 events per request; a call adds one for the call and the
        // callee's compute and end (no network hop); 1 window event per second.
        let callee = Service(name: "b", operations: [Operation(name: "x", cpu: .constant(1e6))])
        let app = Service(name: "a", operations: [
            Operation(name: "plain", cpu: .constant(1e6)),
            Operation(name: "calls", cpu: .constant(1e6), steps: [.call(OperationRef(service: 1, operation: 0))]),
        ])
        let arch = Architecture(routes: [OperationRef(service: 0, operation: 0), OperationRef(service: 0, operation: 1)],
                                services: [app, callee])
        let workload = Workload(arrivals: .open(process: .poisson, rate: .constant(1000)),
                                requestTypes: [RequestType(name: "p", weight: 1), RequestType(name: "c", weight: 1)])
        let scenario = Scenario(name: "t", duration: 10_000_000_000, replications: 2, workload: workload, architecture: arch)
        let e = PreflightEstimate(scenario, jobs: 8)
        // plain: 3; calls: 1 + 1 (cpu) + (1 + 2) (the call) + 1 (end) = 6; mean 4.5 per request.
        XCTAssertEqual(e.eventsPerSecond, 1000 * 4.5 + 1, accuracy: 1e-9)
        XCTAssertEqual(e.totalEvents, (1000 * 4.5 + 1) * 10 * 2, accuracy: 1e-6)
        XCTAssertEqual(e.concurrent, 2, "at most the replications")
    }

    func testCacheSlotsAndPerKeyStateScaleWithTheModel() {
        let app = Service(name: "a", operations: [Operation(name: "w", steps: [.cacheGet(cache: 0, onMiss: []), .dbWrite(database: 0)])])
        let db = Database(name: "d", primary: DatabaseServer(connections: 1, read: .constant(1), write: .constant(1)),
                          replicaCount: 1)
        let arch = Architecture(routes: [OperationRef(service: 0, operation: 0)], services: [app],
                                caches: [Cache(name: "c", capacity: 1_000_000)], databases: [db])
        let workload = Workload(arrivals: .open(process: .poisson, rate: .constant(100_000)),
                                keySpaces: [KeySpace(name: "k", count: 10_000_000, popularity: .uniform)],
                                requestTypes: [RequestType(name: "w", weight: 1, keySpace: 0)])
        let e = PreflightEstimate(Scenario(name: "t", duration: 10_000_000_000, workload: workload, architecture: arch), jobs: 1)
        let parts = Dictionary(uniqueKeysWithValues: e.parts.map { ($0.name, $0.bytes) })
        XCTAssertEqual(parts["cache slots"], 64e6)
        XCTAssertEqual(parts["per-key state"], 64e6,
                       "≤ 64 bytes per key written: 10^6 requests of the run, under the space's 10^7 keys")
        XCTAssertGreaterThan(e.peakBytes, 144e6)
    }
}
