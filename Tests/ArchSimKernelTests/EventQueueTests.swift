// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimKernel

final class EventQueueTests: XCTestCase {
    /// Events at equal times run in scheduling order (FIFO), whatever the heap does.
    func testEqualTimesRunInSchedulingOrder() {
        var q = EventQueue()
        for i in 0..<1000 { q.schedule(at: Int64(i % 3) * 10, UInt64(i)) }
        var last: (time: Int64, payload: UInt64) = (-1, 0)
        var n = 0
        while let e = q.next() {
            if e.time == last.time { XCTAssertGreaterThan(e.payload, last.payload, "FIFO among equal times") }
            XCTAssertGreaterThanOrEqual(e.time, last.time)
            last = (e.time, e.payload); n += 1
        }
        XCTAssertEqual(n, 1000)
    }

    /// Against a reference (sort by time, then sequence) over thousands of random schedules.
    func testMatchesReferenceOrder() {
        var x: UInt64 = 99
        for _ in 0..<200 {
            var q = EventQueue()
            var reference: [(Int64, UInt64)] = []
            var out: [UInt64] = []
            var seq: UInt64 = 0
            for _ in 0..<300 {
                x = x &* 6364136223846793005 &+ 1442695040888963407
                if x >> 62 == 0, let e = q.next() { out.append(e.payload); continue }
                let t = q.now + Int64((x >> 33) % 5)
                q.schedule(at: t, seq); reference.append((t, seq)); seq += 1
            }
            while let e = q.next() { out.append(e.payload) }
            // Replay: the reference pops the smallest (time, seq) among those scheduled so far.
            XCTAssertEqual(out.count, reference.count)
            XCTAssertEqual(Set(out).count, out.count)
            // Each popped event's time never decreases.
            let times = out.map { p in reference.first { $0.1 == p }!.0 }
            XCTAssertEqual(times, times.sorted())
            for (a, b) in zip(out, out.dropFirst()) {
                let ta = reference.first { $0.1 == a }!.0, tb = reference.first { $0.1 == b }!.0
                if ta == tb { XCTAssertLessThan(a, b) }
            }
        }
    }

    func testNextBeforeLimitLeavesLaterEvents() {
        var q = EventQueue()
        q.schedule(at: 5, 1); q.schedule(at: 10, 2)
        XCTAssertEqual(q.next(before: 10)?.payload, 1)
        XCTAssertNil(q.next(before: 10))
        XCTAssertEqual(q.count, 1)
        XCTAssertEqual(q.now, 5)
        q.schedule(after: 0, 3)   // at now: before the pending one at 10
        XCTAssertEqual(q.next()?.payload, 3)
        XCTAssertEqual(q.next()?.payload, 2)
        XCTAssertEqual(q.processed, 3)
    }

    /// A delay that would carry the clock past `Int64.max` saturates there instead of wrapping
    /// into the past: the event stays pending after every end of run.
    func testHugeDelaysSaturate() {
        var q = EventQueue()
        q.schedule(at: 1_000, 1)
        _ = q.next()
        q.schedule(after: .max - 10, 2)
        q.schedule(after: 5, 3)
        XCTAssertEqual(q.next(before: .max)?.payload, 3)
        XCTAssertNil(q.next(before: .max), "at Int64.max: never before any limit")
        XCTAssertEqual(q.count, 1)
    }

    /// Timeouts in lanes run in exactly the order the heap alone gives: the same operations on
    /// two queues, one scheduling every timeout with `schedule(after:)` (the reference) and one
    /// with `scheduleTimeout(after:)`, over equal times, more delays than there are lanes (the
    /// rest go to the heap), bursts that fill several chunks and drain them again, and limits.
    func testTimeoutLanesKeepHeapOrder() {
        var x: UInt64 = 7
        func random(_ n: UInt64) -> UInt64 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            return (x >> 33) % n
        }
        let delays: [Int64] = (0..<(EventQueue.maxLanes + 4)).map { Int64($0) * 7 }  // includes 0
        for round in 0..<6 {
            var reference = EventQueue(), lanes = EventQueue()
            var payload: UInt64 = 0, taken = 0
            // Bursts of 30,000 steps fill a lane with ~10,000 events: several 4,096-event chunks.
            let burst = round < 3 ? 30_000 : 300, delaysUsed = [1, 3, delays.count][round % 3]
            for step in 0..<120_000 {
                let draining = (step / burst) % 2 == 1
                switch random(draining ? 10 : 3) {
                case 0:
                    let delay = Int64(random(40))
                    reference.schedule(after: delay, payload); lanes.schedule(after: delay, payload)
                    payload += 1
                case 1:
                    let delay = delays[Int(random(UInt64(delaysUsed)))]
                    reference.schedule(after: delay, payload); lanes.scheduleTimeout(after: delay, payload)
                    payload += 1
                default:
                    let limit = random(4) == 0 ? reference.now + Int64(random(10)) : .max
                    let a = reference.next(before: limit), b = lanes.next(before: limit)
                    XCTAssertEqual(a?.payload, b?.payload, "round \(round) step \(step)")
                    XCTAssertEqual(a?.time, b?.time)
                    XCTAssertEqual(a?.sequence, b?.sequence)
                    if a != nil { taken += 1 }
                }
                XCTAssertEqual(reference.count, lanes.count)
                XCTAssertEqual(reference.now, lanes.now)
                if reference.count != lanes.count { return }
            }
            while let a = reference.next() {
                XCTAssertEqual(a.payload, lanes.next()?.payload); taken += 1
            }
            XCTAssertTrue(lanes.isEmpty)
            XCTAssertEqual(lanes.processed, reference.processed)
            XCTAssertGreaterThan(taken, 40_000)
        }
    }

    /// A timeout that would carry the clock past `Int64.max` saturates there, lane or not, and
    /// later timeouts with the same delay also saturate: the lane stays in order.
    func testTimeoutsSaturate() {
        var q = EventQueue()
        q.schedule(at: 1_000, 1)
        _ = q.next()
        q.scheduleTimeout(after: .max - 10, 2)
        q.scheduleTimeout(after: 5, 3)
        q.schedule(at: 2_000, 4)
        _ = q.next()
        _ = q.next()
        q.scheduleTimeout(after: .max - 10, 5)
        XCTAssertNil(q.next(before: .max), "at Int64.max: never before any limit")
        XCTAssertEqual(q.count, 2)
        XCTAssertEqual(q.now, 2_000)
    }

    /// Keyed events against a plain model of the rule: every pending event in a list, the next
    /// one the least by (time, sequence), and scheduling a key again (or cancelling it) removes
    /// that key's pending event. Mixed with ordinary events, timeouts in lanes and limits.
    func testKeyedEventsReplaceTheirPendingEvent() {
        struct Pending { var time: Int64; var sequence: UInt64; var payload: UInt64; var key: Int }
        var x: UInt64 = 11
        func random(_ n: UInt64) -> UInt64 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            return (x >> 33) % n
        }
        for keys in [1, 5, 300] {
            var q = EventQueue()
            var model: [Pending] = []
            var now: Int64 = 0, sequence: UInt64 = 0, payload: UInt64 = 0, taken = 0, replaced = 0
            for step in 0..<30_000 {
                switch random(8) {
                case 0, 1:
                    let delay = Int64(random(30))
                    q.schedule(after: delay, payload)
                    model.append(Pending(time: now + delay, sequence: sequence, payload: payload, key: -1))
                case 2:
                    let delay = Int64(random(3)) * 25
                    q.scheduleTimeout(after: delay, payload)
                    model.append(Pending(time: now + delay, sequence: sequence, payload: payload, key: -1))
                case 3, 4:
                    let key = Int(random(UInt64(keys))), delay = Int64(random(30))
                    q.scheduleKeyed(key, after: delay, payload)
                    let before = model.count
                    model.removeAll { $0.key == key }
                    replaced += before - model.count
                    model.append(Pending(time: now + delay, sequence: sequence, payload: payload, key: key))
                case 5:
                    let key = Int(random(UInt64(keys)))
                    q.cancelKeyed(key)
                    model.removeAll { $0.key == key }
                    XCTAssertEqual(q.count, model.count)
                    continue
                default:
                    let limit = random(4) == 0 ? now + Int64(random(10)) : .max
                    let got = q.next(before: limit)
                    let least = model.indices.min { (model[$0].time, model[$0].sequence) < (model[$1].time, model[$1].sequence) }
                    if let i = least, model[i].time < limit {
                        XCTAssertEqual(got?.payload, model[i].payload, "keys \(keys) step \(step)")
                        XCTAssertEqual(got?.time, model[i].time)
                        XCTAssertEqual(got?.sequence, model[i].sequence)
                        now = model[i].time
                        model.remove(at: i)
                        taken += 1
                    } else {
                        XCTAssertNil(got, "keys \(keys) step \(step)")
                    }
                    XCTAssertEqual(q.now, now)
                    continue
                }
                sequence += 1; payload += 1
                XCTAssertEqual(q.count, model.count)
                if q.count != model.count { return }
            }
            XCTAssertGreaterThan(taken, 6_000)
            XCTAssertGreaterThan(replaced, keys == 300 ? 100 : 1_000, "keys are scheduled again while pending")
        }
    }
}
