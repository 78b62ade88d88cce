// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimSweep
import XCTest

/// Point ids, `--list`, sweep-plan.csv and sharding: point i belongs to shard i mod N + 1.
final class PlanTests: XCTestCase {
    func testIdsAndListingOfTheGrid() throws {
        let plan = try Fixture.gridPlan()
        XCTAssertEqual(plan.indices, 0..<12)
        XCTAssertEqual(SweepPlan.id(0), "p0000")
        XCTAssertEqual(SweepPlan.id(11), "p0011")
        XCTAssertEqual(SweepPlan.id(12345), "p12345")
        XCTAssertEqual(plan.listing[5], "p0005  architecture.services.front.instances=2  workload.arrivals.rate=200/s")
    }

    /// The bytes every shard writes (and results/ holds): first key slowest.
    func testPlanFileBytes() throws {
        let text = try Fixture.gridPlan().table.text
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines[0], "point,architecture.services.front.instances,workload.arrivals.rate")
        XCTAssertEqual(lines[1], "p0000,1,100/s")
        XCTAssertEqual(lines[2], "p0001,1,200/s")
        XCTAssertEqual(lines[12], "p0011,4,800/s")
        XCTAssertEqual(lines.count, 13)
        XCTAssert(text.hasSuffix("800/s\n"))
        // A value with a comma is quoted.
        XCTAssert(Fixture.plan(count: 1, comma: true).table.text.hasSuffix("p0000,10,\"{a: 0, b: \"\"x\"\"}\"\n"))
    }

    func testShardsPartitionThePoints() {
        let plan = Fixture.plan(count: 12)
        XCTAssertEqual(plan.points(in: nil), Array(0..<12))
        XCTAssertEqual(plan.points(in: Shard(k: 1, n: 3)), [0, 3, 6, 9])
        XCTAssertEqual(plan.points(in: Shard(k: 3, n: 3)), [2, 5, 8, 11])
        for n in 1...15 {
            let shards = (1...n).map { plan.points(in: Shard(k: $0, n: n)!) }
            XCTAssertEqual(shards.flatMap { $0 }.sorted(), Array(0..<12), "N=\(n): every point once")
            for (k, points) in shards.enumerated() { XCTAssert(points.allSatisfy { $0 % n + 1 == k + 1 }) }
            XCTAssertLessThanOrEqual(shards.map(\.count).max()! - shards.map(\.count).min()!, 1)
        }
    }

    func testShardParsing() {
        XCTAssertEqual(Shard(parsing: "2/3"), Shard(k: 2, n: 3))
        XCTAssertEqual(Shard(parsing: "1/1")?.description, "1/1")
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "1/2/3", "", "/3", "-1/3"] {
            XCTAssertNil(Shard(parsing: bad), bad)
        }
    }
}
