// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimKernel
import ArchSimModel

/// The redo log's flush batches, exactly.
final class RedoLogTests: XCTestCase {
    func log(group: Bool) -> RedoLog {
        RedoLog(CommitLog(flush: .constant(10), group: group), name: "db.primary", streams: RandomStreams(seed: 1))
    }

    /// With group commit, n commits arriving during one flush all become durable at the end of
    /// the next flush, together; a commit to an idle log starts a flush at once.
    func testGroupCommitTakesEveryWaitingCommit() {
        var log = log(group: true)
        XCTAssertEqual(log.append(TaskID(0), at: 0), 10, "an idle log flushes at once")
        for i in 1...4 { XCTAssertNil(log.append(TaskID(i), at: Int64(i))) }
        XCTAssertEqual(log.flushEnded(counted: true), 1)
        XCTAssertEqual(log.takeDurable(at: 10, counted: true), TaskID(0))
        XCTAssertEqual(log.startNextFlush(), 10)
        XCTAssertNil(log.append(TaskID(5), at: 15), "arrives during the second flush")
        XCTAssertEqual(log.flushEnded(counted: true), 4, "the second flush took the four that waited")
        XCTAssertEqual((0..<4).map { _ in log.takeDurable(at: 20, counted: true) }, (1...4).map(TaskID.init))
        XCTAssertEqual(log.startNextFlush(), 10)
        XCTAssertEqual(log.flushEnded(counted: true), 1)
        XCTAssertEqual(log.takeDurable(at: 30, counted: true), TaskID(5))
        XCTAssertNil(log.startNextFlush(), "nothing waits: the log is idle")
        XCTAssertEqual(log.meanBatch, 2)
        // Commit times: 10, then 19, 18, 17, 16, then 15.
        XCTAssertEqual(log.commitTime.count, 6)
        XCTAssertEqual(log.commitTime.mean, Double(10 + 19 + 18 + 17 + 16 + 15) / 6, accuracy: 1e-9)
    }

    /// Without group commit every commit has a flush of its own, in arrival order.
    func testWithoutGroupEachCommitFlushesAlone() {
        var log = log(group: false)
        XCTAssertEqual(log.append(TaskID(0), at: 0), 10)
        XCTAssertNil(log.append(TaskID(1), at: 1))
        XCTAssertNil(log.append(TaskID(2), at: 2))
        var order: [TaskID] = []
        var now: Int64 = 10
        repeat {
            XCTAssertEqual(log.flushEnded(counted: true), 1)
            order.append(log.takeDurable(at: now, counted: true))
            now += 10
        } while log.startNextFlush() != nil
        XCTAssertEqual(order, [TaskID(0), TaskID(1), TaskID(2)])
        XCTAssertEqual(log.meanBatch, 1)
    }

    /// A crash loses what waits and what is being flushed; the log is idle after it.
    func testCrashClearsTheLog() {
        var log = log(group: true)
        _ = log.append(TaskID(0), at: 0)
        _ = log.append(TaskID(1), at: 1)
        log.clear()
        XCTAssertEqual(log.append(TaskID(2), at: 5), 10, "idle again: the next commit flushes at once")
    }
}
