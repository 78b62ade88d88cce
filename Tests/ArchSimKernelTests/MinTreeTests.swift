// SPDX-License-Identifier: GPL-3.0-or-later
import XCTest
import ArchSimKernel

final class MinTreeTests: XCTestCase {
    /// The scan a least_connections balancer does: fewest first from `start`, then from 0 (strictly
    /// fewer), so ties go to the first rank at or after `start`.
    private func scan(_ loads: [Int32], from start: Int) -> Int? {
        var best: Int?, bestLoad = Int32.max
        for k in start..<loads.count where loads[k] < bestLoad { best = k; bestLoad = loads[k] }
        for k in 0..<start where loads[k] < bestLoad { best = k; bestLoad = loads[k] }
        return best
    }

    /// Against the scan, for every start, over random loads and changes at sizes 1…70 (powers of
    /// two and not; many ties: loads 0…3).
    func testChoosesWhatTheScanChooses() {
        var x: UInt64 = 7
        func draw(_ n: Int) -> Int {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            return Int((x >> 33) % UInt64(n))
        }
        for count in 1...70 {
            var loads = (0..<count).map { _ in Int32(draw(4)) }
            var tree = MinTree(loads)
            for _ in 0..<200 {
                let rank = draw(count), load = Int32(draw(4))
                loads[rank] = load
                tree.set(rank, to: load)
                XCTAssertEqual(tree[rank], load)
                XCTAssertEqual(tree.least, loads.min())
                let start = draw(count)
                XCTAssertEqual(tree.firstLeast(from: start), scan(loads, from: start), "count \(count) start \(start) loads \(loads)")
            }
            for start in 0..<count { XCTAssertEqual(tree.firstLeast(from: start), scan(loads, from: start)) }
        }
    }

    func testEmptyAndSingle() {
        XCTAssertNil(MinTree([]).firstLeast(from: 0))
        var one = MinTree([5])
        XCTAssertEqual(one.firstLeast(from: 0), 0)
        one.set(0, to: 2)
        XCTAssertEqual(one.least, 2)
    }

    /// A rise of the least load moves the choice to the next least (the early stop in `set` must
    /// not leave a stale minimum above).
    func testRaisingTheLeastUpdatesTheRoot() {
        var tree = MinTree([1, 4, 3, 2, 6, 5, 7, 8])
        XCTAssertEqual(tree.firstLeast(from: 0), 0)
        tree.set(0, to: 9)
        XCTAssertEqual(tree.least, 2)
        XCTAssertEqual(tree.firstLeast(from: 0), 3)
        XCTAssertEqual(tree.firstLeast(from: 4), 3)
    }
}
