// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimModel

/// Cores shared by processor sharing: n jobs on c cores each progress at min(1, c/n).
final class ProcessorSharingTests: XCTestCase {
    let a = TaskID(Int32(1)), b = TaskID(Int32(2)), c = TaskID(Int32(3))

    func testOneJobRunsAtFullSpeed() {
        var ps = ProcessorSharing(cores: 1)
        ps.add(a, work: 100, at: 0)
        XCTAssertEqual(ps.nextCompletion(), 100)
        var done: [TaskID] = []
        ps.takeCompleted(at: 100, into: &done)
        XCTAssertEqual(done, [a])
        XCTAssertNil(ps.nextCompletion())
    }

    /// Two jobs of 100 ns on one core: both progress at 1/2. The second starts at 50 when the
    /// first has 50 left: both then need 100 ns more of real time for 50, so the first ends at
    /// 150 and the second, with 50 left, alone at full speed, at 200.
    func testTwoJobsShareOneCore() {
        var ps = ProcessorSharing(cores: 1)
        ps.add(a, work: 100, at: 0)
        _ = ps.nextCompletion()
        ps.add(b, work: 100, at: 50)
        XCTAssertEqual(ps.nextCompletion(), 100, "a has 50 ns of work left at rate 1/2")
        var done: [TaskID] = []
        ps.takeCompleted(at: 150, into: &done)
        XCTAssertEqual(done, [a])
        XCTAssertEqual(ps.nextCompletion(), 50)
        done.removeAll()
        ps.takeCompleted(at: 200, into: &done)
        XCTAssertEqual(done, [b])
    }

    func testJobsUpToTheCoreCountDoNotSlowEachOther() {
        var ps = ProcessorSharing(cores: 2)
        ps.add(a, work: 100, at: 0)
        ps.add(b, work: 100, at: 0)
        XCTAssertEqual(ps.rate, 1)
        ps.add(c, work: 100, at: 0)
        XCTAssertEqual(ps.rate, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(ps.nextCompletion(), 150)
        var done: [TaskID] = []
        ps.takeCompleted(at: 150, into: &done)
        XCTAssertEqual(done, [a, b, c], "equal work ends together, in start order")
    }

    func testEachNewCompletionMakesTheOldEventStale() {
        var ps = ProcessorSharing(cores: 1)
        let g0 = ps.generation
        ps.add(a, work: 10, at: 0)
        _ = ps.nextCompletion()
        let g1 = ps.generation
        XCTAssertNotEqual(g0, g1)
        ps.clear()
        XCTAssertNotEqual(ps.generation, g1)
        XCTAssertTrue(ps.jobs.isEmpty)
    }

    /// A long job shared by many stretches past Int64: the wait saturates at the largest sample.
    func testAHugeWaitSaturates() {
        var ps = ProcessorSharing(cores: 1)
        for k in 0..<100 { ps.add(TaskID(Int32(k)), work: 3_600_000_000_000_000_000, at: 0) }
        XCTAssertEqual(ps.nextCompletion(), 3_600_000_000_000_000_000)
    }
}
