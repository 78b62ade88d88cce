// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimKernel
import ArchSimModel

/// Compiling operations to one flat instruction array: the layout of an operation, its
/// `on_miss` jump, its parallel branches after its end, and call rules.
final class ProgramTests: XCTestCase {
    func testCompilesStepsBranchesAndJumps() throws {
        let app = Service(name: "app", operations: [
            Operation(name: "view", cpu: .exponential(mean: 1e6), steps: [
                .cacheGet(cache: 0, onMiss: [.dbRead(database: 0, strong: false), .cacheSet(cache: 0)]),
                .parallel([.call(OperationRef(service: 1, operation: 0),
                                 CallPolicy(timeout: 5_000_000, retries: 2, circuitBreaker: CircuitBreakerPolicy())),
                           .delay(.constant(2e6))]),
                .dbWrite(database: 0),
            ]),
        ])
        let user = Service(name: "user", operations: [Operation(name: "profile", cpu: .constant(1e5))])
        let arch = Architecture(routes: [OperationRef(service: 0, operation: 0)], services: [app, user])
        let program = try Program(architecture: arch, streams: RandomStreams(seed: 1))
        XCTAssertEqual(program.code, [
            .cpu(sampler: 0),                               // 0 app.view
            .cacheGet(cache: 0, onHit: 4),                  // 1: a hit skips the on_miss steps
            .dbRead(database: 0, strong: false, key: -1),   // 2
            .cacheSet(cache: 0),                            // 3
            .fork(first: 0, count: 2),                      // 4
            .dbWrite(database: 0, key: -1, lock: -1),       // 5
            .end,                                           // 6
            .call(service: 1, operation: 0, rule: 0),       // 7 branch 0
            .branchEnd,                                     // 8
            .delay(sampler: 1),                             // 9 branch 1
            .branchEnd,                                     // 10
            .cpu(sampler: 2),                               // 11 user.profile
            .end,                                           // 12
        ])
        XCTAssertEqual(program.entry, [[0], [11]])
        XCTAssertEqual(program.forkTargets, [7, 9])
        XCTAssertEqual(program.endOf, [6, 6, 6, 6, 6, 6, 6, 8, 8, 10, 10, 12, 12])
        XCTAssertEqual(program.callRules.count, 1)
        XCTAssertEqual(program.callRules[0].timeout, 5_000_000)
        XCTAssertEqual(program.callRules[0].retries, 2)
        XCTAssertNotNil(program.callRules[0].backoff, "retries draw a backoff")
        XCTAssertEqual(program.callRules[0].breaker, 0)
        XCTAssertEqual(program.breakerPolicies, [CircuitBreakerPolicy()])
        XCTAssertEqual(program.samplers.map(\.distribution), [.exponential(mean: 1e6), .constant(2e6), .constant(1e5)])
    }

    /// A branch that forks again is compiled after the branches already pending.
    func testNestedParallelBranches() throws {
        let app = Service(name: "app", operations: [
            Operation(name: "op", steps: [.parallel([.parallel([.delay(.constant(1)), .delay(.constant(2))]),
                                                     .delay(.constant(3))])]),
        ])
        let program = try Program(architecture: Architecture(routes: [OperationRef(service: 0, operation: 0)], services: [app]),
                                  streams: RandomStreams(seed: 1))
        XCTAssertEqual(program.code, [
            .fork(first: 0, count: 2), .end,                // 0-1
            .fork(first: 2, count: 2), .branchEnd,          // 2-3 outer branch 0
            .delay(sampler: 0), .branchEnd,                 // 4-5 outer branch 1 (constant 3)
            .delay(sampler: 1), .branchEnd,                 // 6-7 inner branch 0
            .delay(sampler: 2), .branchEnd,                 // 8-9 inner branch 1
        ])
        XCTAssertEqual(program.forkTargets, [2, 4, 6, 8])
        XCTAssertEqual(program.samplers.map(\.distribution), [.constant(3), .constant(1), .constant(2)])
    }
}
