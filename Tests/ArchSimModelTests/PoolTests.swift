// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimModel

/// The pool of slots with a FIFO queue that workers and connections (and, next, client pools,
/// row locks, cache-node workers and disks) are made of.
final class PoolTests: XCTestCase {
    let a = TaskID(Int32(1)), b = TaskID(Int32(2)), c = TaskID(Int32(3)), d = TaskID(Int32(4))

    func testGrantsThenQueuesThenRejectsPastTheBound() {
        var pool = Pool(slots: 2, queueBound: 1)
        XCTAssertEqual(pool.acquire(a, at: 0), .granted)
        XCTAssertEqual(pool.acquire(b, at: 0), .granted)
        XCTAssertEqual(pool.acquire(c, at: 5), .queued)
        XCTAssertEqual(pool.acquire(d, at: 6), .rejected)
        XCTAssertEqual(pool.busy, 2)
        XCTAssertEqual(pool.waiting.map(\.task), [c])
        // A task admitted earlier may wait past the bound.
        XCTAssertEqual(pool.acquire(d, at: 7, ignoringBound: true), .queued)
        XCTAssertEqual(pool.waiting.map(\.task), [c, d])
    }

    func testReleaseHandsOffInArrivalOrderWithTheWait() {
        var pool = Pool(slots: 1)
        XCTAssertEqual(pool.acquire(a, at: 0), .granted)
        XCTAssertEqual(pool.acquire(b, at: 10), .queued)
        XCTAssertEqual(pool.acquire(c, at: 20), .queued)
        XCTAssertEqual(pool.release(at: 50), .task(b, waited: 40))
        XCTAssertEqual(pool.release(at: 70), .task(c, waited: 50))
        XCTAssertEqual(pool.busy, 1, "a handed-off slot stays busy")
        XCTAssertEqual(pool.release(at: 80), .freed)
        XCTAssertEqual(pool.busy, 0)
        XCTAssertTrue(pool.hasFreeSlot)
    }

    func testUrgentWaitersGoBeforeQueuedTasks() {
        var pool = Pool(slots: 1)
        XCTAssertEqual(pool.acquire(a, at: 0), .granted)
        XCTAssertEqual(pool.acquire(b, at: 1), .queued)
        XCTAssertFalse(pool.acquireUrgent(at: 2))
        XCTAssertEqual(pool.urgent, 1)
        XCTAssertEqual(pool.release(at: 3), .urgent)
        XCTAssertEqual(pool.release(at: 4), .task(b, waited: 3))
        XCTAssertEqual(pool.release(at: 5), .freed)
        XCTAssertTrue(pool.acquireUrgent(at: 6), "a free slot is granted at once")
    }

    func testCancelRemovesAWaiterAndKeepsTheOrder() {
        var pool = Pool(slots: 1)
        _ = pool.acquire(a, at: 0)
        _ = pool.acquire(b, at: 0)
        _ = pool.acquire(c, at: 0)
        _ = pool.acquire(d, at: 0)
        XCTAssertTrue(pool.cancel(c, at: 1))
        XCTAssertFalse(pool.cancel(c, at: 1), "not waiting any more")
        XCTAssertFalse(pool.cancel(a, at: 1), "holds a slot, does not wait")
        XCTAssertEqual(pool.waiting.map(\.task), [b, d])
    }

    /// Busy slots and queue length, time-weighted: slot 1 busy over [0, 100), slot 2 over
    /// [10, 60); one task waits over [20, 60).
    func testGaugesAreTimeWeighted() {
        var pool = Pool(slots: 2)
        _ = pool.acquire(a, at: 0)
        _ = pool.acquire(b, at: 10)
        _ = pool.acquire(c, at: 20)
        XCTAssertEqual(pool.release(at: 60), .task(c, waited: 40))
        XCTAssertEqual(pool.release(at: 60), .freed)
        XCTAssertEqual(pool.release(at: 100), .freed)
        XCTAssertEqual(pool.busyGauge.mean(until: 100), (100.0 + 50) / 100, accuracy: 1e-12)
        XCTAssertEqual(pool.queueGauge.mean(until: 100), 40.0 / 100, accuracy: 1e-12)
        pool.restartGauges(at: 100)
        XCTAssertEqual(pool.busyGauge.mean(until: 200), 0)
    }

    func testClearDropsEverythingAndReturnsTheWaiters() {
        var pool = Pool(slots: 1)
        _ = pool.acquire(a, at: 0)
        _ = pool.acquire(b, at: 0)
        _ = pool.acquireUrgent(at: 0)
        let dropped = pool.clear(at: 10)
        XCTAssertEqual(dropped.map(\.task), [b])
        XCTAssertEqual(pool.busy, 0)
        XCTAssertEqual(pool.urgent, 0)
        XCTAssertTrue(pool.waiting.isEmpty)
        XCTAssertEqual(pool.busyGauge.value, 0)
        XCTAssertEqual(pool.queueGauge.value, 0)
    }

    /// A pool of n slots in front of exponential service behaves as n servers: with 2 slots and
    /// all tasks arriving at 0 with unit work, task k starts at ⌊k/2⌋ — FIFO hand-off.
    func testHandOffServesInFIFOOrder() {
        var pool = Pool(slots: 2)
        var start: [Int32: Int64] = [:]
        for k in 0..<6 where pool.acquire(TaskID(Int32(k)), at: 0) == .granted { start[Int32(k)] = 0 }
        var now: Int64 = 0
        while start.count < 6 {
            now += 1
            for _ in 0..<2 { if case .task(let t, _) = pool.release(at: now) { start[t.index] = now } }
        }
        XCTAssertEqual((0..<6).map { start[Int32($0)]! }, [0, 0, 1, 1, 2, 2])
    }

    /// A pool whose owner measures elsewhere keeps no gauges, and works the same.
    func testUngaugedPoolKeepsNoGauges() {
        var pool = Pool(slots: 1, gauged: false)
        XCTAssertEqual(pool.acquire(a, at: 0), .granted)
        XCTAssertEqual(pool.acquire(b, at: 10), .queued)
        XCTAssertEqual(pool.release(at: 30), .task(b, waited: 20))
        XCTAssertEqual(pool.busyGauge.mean(until: 100), 0)
        XCTAssertEqual(pool.queueGauge.mean(until: 100), 0)
    }
}
