// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimModel

/// The circuit breaker's transitions: closed → open at the error rate (with enough calls in the
/// window), open → half-open after `open_for`, half-open → closed on a good probe or → open on a
/// bad one.
final class CircuitBreakerTests: XCTestCase {
    static let s: Int64 = 1_000_000_000
    let policy = CircuitBreakerPolicy(errorRate: 0.5, window: 10 * s, minimumCalls: 4, openFor: 5 * s)

    func testOpensAtTheErrorRateOnceEnoughCallsWereMade() {
        var breaker = CircuitBreaker(policy: policy)
        for k in 0..<3 { XCTAssertTrue(breaker.allows(at: Int64(k))); breaker.record(success: false, at: Int64(k)) }
        XCTAssertEqual(breaker.state, .closed, "3 calls: fewer than minimum_calls")
        XCTAssertTrue(breaker.allows(at: 3))
        breaker.record(success: true, at: 3)
        XCTAssertEqual(breaker.state, .open, "3 of 4 failed ≥ 50%")
        XCTAssertFalse(breaker.allows(at: 4))
        XCTAssertEqual(breaker.openings, 1)
    }

    func testStaysClosedBelowTheErrorRate() {
        var breaker = CircuitBreaker(policy: policy)
        for k in 0..<100 { _ = breaker.allows(at: Int64(k)); breaker.record(success: k % 3 != 2, at: Int64(k)) }
        XCTAssertEqual(breaker.state, .closed, "at most a third failed at any time")
    }

    func testOldFailuresSlideOutOfTheWindow() {
        var breaker = CircuitBreaker(policy: policy)
        for k in 0..<3 { breaker.record(success: false, at: Int64(k)) }
        // 11 s later the window holds none of them.
        for k in 0..<3 { breaker.record(success: true, at: 11 * Self.s + Int64(k)) }
        breaker.record(success: false, at: 11 * Self.s + 3)
        XCTAssertEqual(breaker.state, .closed, "1 of 4 in the window failed")
    }

    func testHalfOpenLetsOneProbeThroughThenClosesOrReopens() {
        var breaker = CircuitBreaker(policy: policy)
        for k in 0..<4 { breaker.record(success: false, at: Int64(k)) }
        XCTAssertEqual(breaker.state, .open)
        XCTAssertFalse(breaker.allows(at: 5 * Self.s - 1 + 3))
        XCTAssertTrue(breaker.allows(at: 5 * Self.s + 3), "open_for elapsed: one probe")
        XCTAssertEqual(breaker.state, .halfOpen)
        XCTAssertFalse(breaker.allows(at: 5 * Self.s + 4), "only one probe at a time")
        breaker.record(success: false, at: 5 * Self.s + 5)
        XCTAssertEqual(breaker.state, .open, "a failed probe opens it again")
        XCTAssertEqual(breaker.openings, 2)
        XCTAssertTrue(breaker.allows(at: 10 * Self.s + 5))
        breaker.record(success: true, at: 10 * Self.s + 6)
        XCTAssertEqual(breaker.state, .closed, "a good probe closes it")
        XCTAssertTrue(breaker.allows(at: 10 * Self.s + 7))
    }

    func testAnswersToCallsMadeBeforeItOpenedAreIgnored() {
        var breaker = CircuitBreaker(policy: policy)
        for k in 0..<4 { breaker.record(success: false, at: Int64(k)) }
        breaker.record(success: true, at: 10)
        XCTAssertEqual(breaker.state, .open)
    }
}
